// int8 SMMLA tile (neon-i8mm): pelabel::cpu::aarch64::neon_int8::smmla_tile
// loop at 0x197bdc (from 5 qemu blocks): 77 instructions, 6,165,504 iterations per frame (qemu), 768 multiply-adds per iteration
.Lloop:
cmp x16, x9
add x15, x15, #0x100
add x0, x0, #0x8
mov x17, x16
zip1 v2.4s, v12.4s, v13.4s
zip2 v12.4s, v12.4s, v13.4s
smmla v25.4s, v10.16b, v2.16b
smmla v24.4s, v10.16b, v12.16b
smmla v17.4s, v11.16b, v2.16b
smmla v16.4s, v11.16b, v12.16b
smmla v1.4s, v9.16b, v2.16b
smmla v0.4s, v9.16b, v12.16b
b.hs .Lloop
mov v8.16b, v3.16b
mov v5.16b, v4.16b
add x16, x17, #0x2
mov v3.16b, v15.16b
cmp x16, x9
b.ls .Lloop
ldr d9, [x0]
ldr d10, [x0, x10]
mov x17, x15
ldr d11, [x0, x11]
ldr d13, [x0, x12]
ldr d12, [x0, x13]
ldr d14, [x0, x14]
mov v9.d[1], v10.d[0]
mov v11.d[1], v13.d[0]
ldr q13, [x15, #0x80]
mov v12.d[1], v14.d[0]
movi v4.16b, #0x80
ldp q15, q14, [x17]
cmp x16, x9
zip1 v2.4s, v15.4s, v13.4s
zip2 v15.4s, v15.4s, v13.4s
movi v13.2d, #0000000000000000
eor v10.16b, v9.16b, v4.16b
eor v9.16b, v12.16b, v4.16b
movi v12.2d, #0000000000000000
eor v11.16b, v11.16b, v4.16b
smmla v6.4s, v10.16b, v2.16b
smmla v26.4s, v11.16b, v2.16b
smmla v18.4s, v9.16b, v2.16b
smmla v31.4s, v10.16b, v15.16b
smmla v23.4s, v11.16b, v15.16b
smmla v7.4s, v9.16b, v15.16b
b.hi .Lloop
ldr q13, [x17, #0x90]
ldr q4, [sp]
mov v15.16b, v3.16b
zip1 v2.4s, v14.4s, v13.4s
zip2 v14.4s, v14.4s, v13.4s
ldr q13, [x17, #0x20]
smmla v4.4s, v9.16b, v2.16b
cmp x16, x9
str q4, [sp]
mov v4.16b, v5.16b
smmla v30.4s, v10.16b, v2.16b
smmla v29.4s, v10.16b, v14.16b
smmla v22.4s, v11.16b, v2.16b
smmla v21.4s, v11.16b, v14.16b
smmla v4.4s, v9.16b, v14.16b
b.hi .Lloop
ldr q12, [x17, #0xa0]
zip1 v2.4s, v13.4s, v12.4s
zip2 v14.4s, v13.4s, v12.4s
ldr q12, [x17, #0x30]
movi v13.2d, #0000000000000000
cmp x16, x9
mov v3.16b, v8.16b
smmla v28.4s, v10.16b, v2.16b
smmla v27.4s, v10.16b, v14.16b
smmla v20.4s, v11.16b, v2.16b
smmla v19.4s, v11.16b, v14.16b
smmla v3.4s, v9.16b, v2.16b
smmla v15.4s, v9.16b, v14.16b
b.hi .Lloop

/* llvm-mca -mcpu=neoverse-v2 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      15400
Total Cycles:      2310
Total uOps:        16000

Dispatch Width:    16
uOps Per Cycle:    6.93
IPC:               6.67
Block RThroughput: 11.3


Cycles with backend pressure increase [ 43.20% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 43.07% ]
  - V2UnitL2  [ 1.04% ]
  - V2UnitL01  [ 1.04% ]
  - V2UnitV0  [ 42.81% ]
  - V2UnitV1  [ 42.81% ]
  - V2UnitV2  [ 42.81% ]
  - V2UnitV3  [ 42.81% ]
  Data Dependencies:      [ 9.18% ]
  - Register Dependencies [ 9.18% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 72.   smmla	v20.4s, v11.16b, v2.16b
 |
 |    < loop carried > 
 |
 |      0.    cmp	x16, x9
 |      1.    add	x15, x15, #256
 |      2.    add	x0, x0, #8
 |      3.    mov	x17, x16
 +----> 4.    zip1	v2.4s, v12.4s, v13.4s             ## RESOURCE interference:  V2UnitV2 [ probability: 48% ]
 +----> 5.    zip2	v12.4s, v12.4s, v13.4s            ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 |      6.    smmla	v25.4s, v10.16b, v2.16b
 +----> 7.    smmla	v24.4s, v10.16b, v12.16b          ## REGISTER dependency:  q12
 +----> 8.    smmla	v17.4s, v11.16b, v2.16b           ## RESOURCE interference:  V2UnitV2 [ probability: 0% ]
 |      9.    smmla	v16.4s, v11.16b, v12.16b
 +----> 10.   smmla	v1.4s, v9.16b, v2.16b             ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 |      11.   smmla	v0.4s, v9.16b, v12.16b
 |      12.   b.hs	.Lloop
 |      13.   mov	v8.16b, v3.16b
 +----> 14.   mov	v5.16b, v4.16b                    ## RESOURCE interference:  V2UnitV3 [ probability: 0% ]
 |      15.   add	x16, x17, #2
 |      16.   mov	v3.16b, v15.16b
 |      17.   cmp	x16, x9
 |      18.   b.ls	.Lloop
 |      19.   ldr	d9, [x0]
 |      20.   ldr	d10, [x0, x10]
 |      21.   mov	x17, x15
 |      22.   ldr	d11, [x0, x11]
 |      23.   ldr	d13, [x0, x12]
 |      24.   ldr	d12, [x0, x13]
 |      25.   ldr	d14, [x0, x14]
 +----> 26.   mov	v9.d[1], v10.d[0]                 ## RESOURCE interference:  V2UnitV2 [ probability: 48% ]
 +----> 27.   mov	v11.d[1], v13.d[0]                ## RESOURCE interference:  V2UnitV2 [ probability: 96% ]
 |      28.   ldr	q13, [x15, #128]
 +----> 29.   mov	v12.d[1], v14.d[0]                ## RESOURCE interference:  V2UnitV3 [ probability: 48% ]
 |      30.   movi	v4.16b, #128
 |      31.   ldp	q15, q14, [x17]
 |      32.   cmp	x16, x9
 +----> 33.   zip1	v2.4s, v15.4s, v13.4s             ## RESOURCE interference:  V2UnitV3 [ probability: 50% ]
 +----> 34.   zip2	v15.4s, v15.4s, v13.4s            ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 |      35.   movi	v13.2d, #0000000000000000
 |      36.   eor	v10.16b, v9.16b, v4.16b
 |      37.   eor	v9.16b, v12.16b, v4.16b
 |      38.   movi	v12.2d, #0000000000000000
 |      39.   eor	v11.16b, v11.16b, v4.16b
 |      40.   smmla	v6.4s, v10.16b, v2.16b
 |      41.   smmla	v26.4s, v11.16b, v2.16b
 |      42.   smmla	v18.4s, v9.16b, v2.16b
 |      43.   smmla	v31.4s, v10.16b, v15.16b
 |      44.   smmla	v23.4s, v11.16b, v15.16b
 |      45.   smmla	v7.4s, v9.16b, v15.16b
 |      46.   b.hi	.Lloop
 |      47.   ldr	q13, [x17, #144]
 |      48.   ldr	q4, [sp]
 |      49.   mov	v15.16b, v3.16b
 +----> 50.   zip1	v2.4s, v14.4s, v13.4s             ## RESOURCE interference:  V2UnitV3 [ probability: 48% ]
 +----> 51.   zip2	v14.4s, v14.4s, v13.4s            ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 |      52.   ldr	q13, [x17, #32]
 |      53.   smmla	v4.4s, v9.16b, v2.16b
 |      54.   cmp	x16, x9
 |      55.   str	q4, [sp]
 +----> 56.   mov	v4.16b, v5.16b                    ## RESOURCE interference:  V2UnitV2 [ probability: 97% ]
 |      57.   smmla	v30.4s, v10.16b, v2.16b
 |      58.   smmla	v29.4s, v10.16b, v14.16b
 |      59.   smmla	v22.4s, v11.16b, v2.16b
 |      60.   smmla	v21.4s, v11.16b, v14.16b
 |      61.   smmla	v4.4s, v9.16b, v14.16b
 |      62.   b.hi	.Lloop
 |      63.   ldr	q12, [x17, #160]
 +----> 64.   zip1	v2.4s, v13.4s, v12.4s             ## RESOURCE interference:  V2UnitV2 [ probability: 48% ]
 +----> 65.   zip2	v14.4s, v13.4s, v12.4s            ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 |      66.   ldr	q12, [x17, #48]
 |      67.   movi	v13.2d, #0000000000000000
 |      68.   cmp	x16, x9
 |      69.   mov	v3.16b, v8.16b
 |      70.   smmla	v28.4s, v10.16b, v2.16b
 +----> 71.   smmla	v27.4s, v10.16b, v14.16b          ## REGISTER dependency:  q14
 +----> 72.   smmla	v20.4s, v11.16b, v2.16b           ## RESOURCE interference:  V2UnitV3 [ probability: 48% ]
 +----> 73.   smmla	v19.4s, v11.16b, v14.16b          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 74.   smmla	v3.4s, v9.16b, v2.16b             ## RESOURCE interference:  V2UnitV2 [ probability: 48% ]
 +----> 75.   smmla	v15.4s, v9.16b, v14.16b           ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 |      76.   b.hi	.Lloop
 |
 |    < loop carried > 
 |
 +----> 5.    zip2	v12.4s, v12.4s, v13.4s            ## RESOURCE interference:  V2UnitV3 [ probability: 96% ]


Resources:
[0.0] - V2UnitB
[0.1] - V2UnitB
[1.0] - V2UnitD
[1.1] - V2UnitD
[2]   - V2UnitL2
[3.0] - V2UnitL01
[3.1] - V2UnitL01
[4]   - V2UnitM0
[5]   - V2UnitM1
[6]   - V2UnitS0
[7]   - V2UnitS1
[8]   - V2UnitS2
[9]   - V2UnitS3
[10]  - V2UnitV0
[11]  - V2UnitV1
[12]  - V2UnitV2
[13]  - V2UnitV3


Resource pressure per iteration:
[0.0]  [0.1]  [1.0]  [1.1]  [2]    [3.0]  [3.1]  [4]    [5]    [6]    [7]    [8]    [9]    [10]   [11]   [12]   [13]   
2.50   2.50    -      -     4.03   5.98   5.00   1.38   1.38   1.38   1.38   1.25   1.25   11.50  11.50  11.50  11.50
*/
/* llvm-mca -mcpu=apple-a17 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      15400
Total Cycles:      3217
Total uOps:        17200

Dispatch Width:    6
uOps Per Cycle:    5.35
IPC:               4.79
Block RThroughput: 16.0


Cycles with backend pressure increase [ 61.95% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 61.64% ]
  - CyUnitIS  [ 6.31% ]
  - CyUnitLS  [ 6.25% ]
  - CyUnitV  [ 61.45% ]
  Data Dependencies:      [ 19.02% ]
  - Register Dependencies [ 19.02% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 73.   smmla	v19.4s, v11.16b, v14.16b
 |
 |    < loop carried > 
 |
 |      0.    cmp	x16, x9
 |      1.    add	x15, x15, #256
 |      2.    add	x0, x0, #8
 |      3.    mov	x17, x16
 |      4.    zip1	v2.4s, v12.4s, v13.4s
 |      5.    zip2	v12.4s, v12.4s, v13.4s
 +----> 6.    smmla	v25.4s, v10.16b, v2.16b           ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 +----> 7.    smmla	v24.4s, v10.16b, v12.16b          ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 +----> 8.    smmla	v17.4s, v11.16b, v2.16b           ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 +----> 9.    smmla	v16.4s, v11.16b, v12.16b          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 10.   smmla	v1.4s, v9.16b, v2.16b             ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 11.   smmla	v0.4s, v9.16b, v12.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      12.   b.hs	.Lloop
 +----> 13.   mov	v8.16b, v3.16b                    ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 +----> 14.   mov	v5.16b, v4.16b                    ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 |      15.   add	x16, x17, #2
 +----> 16.   mov	v3.16b, v15.16b                   ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 |      17.   cmp	x16, x9
 |      18.   b.ls	.Lloop
 |      19.   ldr	d9, [x0]
 |      20.   ldr	d10, [x0, x10]
 |      21.   mov	x17, x15
 |      22.   ldr	d11, [x0, x11]
 |      23.   ldr	d13, [x0, x12]
 |      24.   ldr	d12, [x0, x13]
 |      25.   ldr	d14, [x0, x14]
 |      26.   mov	v9.d[1], v10.d[0]
 +----> 27.   mov	v11.d[1], v13.d[0]                ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 |      28.   ldr	q13, [x15, #128]
 |      29.   mov	v12.d[1], v14.d[0]
 +----> 30.   movi	v4.16b, #128                      ## RESOURCE interference:  CyUnitV [ probability: 97% ]
 |      31.   ldp	q15, q14, [x17]
 |      32.   cmp	x16, x9
 +----> 33.   zip1	v2.4s, v15.4s, v13.4s             ## RESOURCE interference:  CyUnitV [ probability: 97% ]
 +----> 34.   zip2	v15.4s, v15.4s, v13.4s            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 35.   movi	v13.2d, #0000000000000000         ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 |      36.   eor	v10.16b, v9.16b, v4.16b
 |      37.   eor	v9.16b, v12.16b, v4.16b
 +----> 38.   movi	v12.2d, #0000000000000000         ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 |      39.   eor	v11.16b, v11.16b, v4.16b
 |      40.   smmla	v6.4s, v10.16b, v2.16b
 |      41.   smmla	v26.4s, v11.16b, v2.16b
 |      42.   smmla	v18.4s, v9.16b, v2.16b
 |      43.   smmla	v31.4s, v10.16b, v15.16b
 |      44.   smmla	v23.4s, v11.16b, v15.16b
 |      45.   smmla	v7.4s, v9.16b, v15.16b
 |      46.   b.hi	.Lloop
 |      47.   ldr	q13, [x17, #144]
 |      48.   ldr	q4, [sp]
 |      49.   mov	v15.16b, v3.16b
 +----> 50.   zip1	v2.4s, v14.4s, v13.4s             ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 +----> 51.   zip2	v14.4s, v14.4s, v13.4s            ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 |      52.   ldr	q13, [x17, #32]
 |      53.   smmla	v4.4s, v9.16b, v2.16b
 |      54.   cmp	x16, x9
 |      55.   str	q4, [sp]
 |      56.   mov	v4.16b, v5.16b
 |      57.   smmla	v30.4s, v10.16b, v2.16b
 +----> 58.   smmla	v29.4s, v10.16b, v14.16b          ## REGISTER dependency:  q14
 |      59.   smmla	v22.4s, v11.16b, v2.16b
 |      60.   smmla	v21.4s, v11.16b, v14.16b
 |      61.   smmla	v4.4s, v9.16b, v14.16b
 |      62.   b.hi	.Lloop
 |      63.   ldr	q12, [x17, #160]
 +----> 64.   zip1	v2.4s, v13.4s, v12.4s             ## RESOURCE interference:  CyUnitV [ probability: 97% ]
 +----> 65.   zip2	v14.4s, v13.4s, v12.4s            ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 |      66.   ldr	q12, [x17, #48]
 +----> 67.   movi	v13.2d, #0000000000000000         ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 |      68.   cmp	x16, x9
 +----> 69.   mov	v3.16b, v8.16b                    ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      70.   smmla	v28.4s, v10.16b, v2.16b
 |      71.   smmla	v27.4s, v10.16b, v14.16b
 +----> 72.   smmla	v20.4s, v11.16b, v2.16b           ## RESOURCE interference:  CyUnitV [ probability: 0% ]
 +----> 73.   smmla	v19.4s, v11.16b, v14.16b          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 74.   smmla	v3.4s, v9.16b, v2.16b             ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 +----> 75.   smmla	v15.4s, v9.16b, v14.16b           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      76.   b.hi	.Lloop
 |
 |    < loop carried > 
 |
 +----> 6.    smmla	v25.4s, v10.16b, v2.16b           ## RESOURCE interference:  CyUnitV [ probability: 98% ]


Resources:
[0.0] - CyUnitB
[0.1] - CyUnitB
[1]   - CyUnitBR
[2.0] - CyUnitFloatDiv
[2.1] - CyUnitFloatDiv
[3.0] - CyUnitI
[3.1] - CyUnitI
[3.2] - CyUnitI
[3.3] - CyUnitI
[4]   - CyUnitID
[5]   - CyUnitIM
[6.0] - CyUnitIS
[6.1] - CyUnitIS
[7]   - CyUnitIntDiv
[8.0] - CyUnitLS
[8.1] - CyUnitLS
[9.0] - CyUnitV
[9.1] - CyUnitV
[9.2] - CyUnitV
[10]  - CyUnitVC
[11]  - CyUnitVD
[12.0] - CyUnitVM
[12.1] - CyUnitVM


Resource pressure per iteration:
[0.0]  [0.1]  [1]    [2.0]  [2.1]  [3.0]  [3.1]  [3.2]  [3.3]  [4]    [5]    [6.0]  [6.1]  [7]    [8.0]  [8.1]  [9.0]  [9.1]  [9.2]  [10]   [11]   [12.0] [12.1] 
2.50   2.50    -      -      -     7.98   5.01   7.97   6.04    -      -     9.51   9.49    -     8.50   8.50   16.00  16.00  16.00   -      -      -      -
*/
