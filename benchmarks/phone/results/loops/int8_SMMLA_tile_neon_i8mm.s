// int8 SMMLA tile (neon-i8mm): pelabel::cpu::aarch64::neon_int8::smmla_tile
// loop at 0x1bd194 (from 1 qemu blocks): 52 instructions, 6,165,504 iterations per frame (qemu), 768 multiply-adds per iteration
.Lloop:
ldr d0, [x0], #0x8
ld1 { v0.d }[1], [x19], #8
ldr d1, [x20], #0x8
ld1 { v1.d }[1], [x16], #8
ldr d2, [x21], #0x8
ld1 { v2.d }[1], [x17], #8
eor v0.16b, v0.16b, v6.16b
eor v1.16b, v1.16b, v6.16b
eor v2.16b, v2.16b, v6.16b
ldr q3, [x2]
ldr q4, [x2, #0x80]
zip1 v5.4s, v3.4s, v4.4s
zip2 v4.4s, v3.4s, v4.4s
smmla v8.4s, v0.16b, v5.16b
smmla v16.4s, v1.16b, v5.16b
smmla v24.4s, v2.16b, v5.16b
smmla v9.4s, v0.16b, v4.16b
smmla v17.4s, v1.16b, v4.16b
smmla v25.4s, v2.16b, v4.16b
ldr q3, [x2, #0x10]
ldr q4, [x2, #0x90]
zip1 v5.4s, v3.4s, v4.4s
zip2 v4.4s, v3.4s, v4.4s
smmla v10.4s, v0.16b, v5.16b
smmla v18.4s, v1.16b, v5.16b
smmla v26.4s, v2.16b, v5.16b
smmla v11.4s, v0.16b, v4.16b
smmla v19.4s, v1.16b, v4.16b
smmla v27.4s, v2.16b, v4.16b
ldr q3, [x2, #0x20]
ldr q4, [x2, #0xa0]
zip1 v5.4s, v3.4s, v4.4s
zip2 v4.4s, v3.4s, v4.4s
smmla v12.4s, v0.16b, v5.16b
smmla v20.4s, v1.16b, v5.16b
smmla v28.4s, v2.16b, v5.16b
smmla v13.4s, v0.16b, v4.16b
smmla v21.4s, v1.16b, v4.16b
smmla v29.4s, v2.16b, v4.16b
ldr q3, [x2, #0x30]
ldr q4, [x2, #0xb0]
zip1 v5.4s, v3.4s, v4.4s
zip2 v4.4s, v3.4s, v4.4s
smmla v14.4s, v0.16b, v5.16b
smmla v22.4s, v1.16b, v5.16b
smmla v30.4s, v2.16b, v5.16b
smmla v15.4s, v0.16b, v4.16b
smmla v23.4s, v1.16b, v4.16b
smmla v31.4s, v2.16b, v4.16b
add x2, x2, #0x100
subs x6, x6, #0x1
b.ne .Lloop

/* llvm-mca -mcpu=neoverse-v2 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      10400
Total Cycles:      1921
Total uOps:        12800

Dispatch Width:    16
uOps Per Cycle:    6.66
IPC:               5.41
Block RThroughput: 9.5


Cycles with backend pressure increase [ 50.65% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 50.44% ]
  - V2UnitL2  [ 4.84% ]
  - V2UnitL01  [ 4.84% ]
  - V2UnitV0  [ 49.97% ]
  - V2UnitV1  [ 49.97% ]
  - V2UnitV2  [ 49.97% ]
  - V2UnitV3  [ 49.97% ]
  Data Dependencies:      [ 7.70% ]
  - Register Dependencies [ 7.70% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 4.    ldr	d2, [x21], #8
 |
 |    < loop carried > 
 |
 |      0.    ldr	d0, [x0], #8
 +----> 1.    ld1	{ v0.d }[1], [x19], #8            ## RESOURCE interference:  V2UnitL01 [ probability: 19% ]
 |      2.    ldr	d1, [x20], #8
 +----> 3.    ld1	{ v1.d }[1], [x16], #8            ## RESOURCE interference:  V2UnitL01 [ probability: 29% ]
 |      4.    ldr	d2, [x21], #8
 +----> 5.    ld1	{ v2.d }[1], [x17], #8            ## RESOURCE interference:  V2UnitV0 [ probability: 38% ]
 |      6.    eor	v0.16b, v0.16b, v6.16b
 |      7.    eor	v1.16b, v1.16b, v6.16b
 |      8.    eor	v2.16b, v2.16b, v6.16b
 |      9.    ldr	q3, [x2]
 |      10.   ldr	q4, [x2, #128]
 +----> 11.   zip1	v5.4s, v3.4s, v4.4s               ## RESOURCE interference:  V2UnitV3 [ probability: 48% ]
 +----> 12.   zip2	v4.4s, v3.4s, v4.4s               ## RESOURCE interference:  V2UnitV2 [ probability: 29% ]
 +----> 13.   smmla	v8.4s, v0.16b, v5.16b             ## RESOURCE interference:  V2UnitV0 [ probability: 9% ]
 +----> 14.   smmla	v16.4s, v1.16b, v5.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 29% ]
 +----> 15.   smmla	v24.4s, v2.16b, v5.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 29% ]
 +----> 16.   smmla	v9.4s, v0.16b, v4.16b             ## RESOURCE interference:  V2UnitV3 [ probability: 29% ]
 +----> 17.   smmla	v17.4s, v1.16b, v4.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 78% ]
 +----> 18.   smmla	v25.4s, v2.16b, v4.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 78% ]
 |      19.   ldr	q3, [x2, #16]
 |      20.   ldr	q4, [x2, #144]
 |      21.   zip1	v5.4s, v3.4s, v4.4s
 |      22.   zip2	v4.4s, v3.4s, v4.4s
 +----> 23.   smmla	v10.4s, v0.16b, v5.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 88% ]
 +----> 24.   smmla	v18.4s, v1.16b, v5.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 88% ]
 +----> 25.   smmla	v26.4s, v2.16b, v5.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 88% ]
 +----> 26.   smmla	v11.4s, v0.16b, v4.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 88% ]
 +----> 27.   smmla	v19.4s, v1.16b, v4.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 88% ]
 +----> 28.   smmla	v27.4s, v2.16b, v4.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 88% ]
 |      29.   ldr	q3, [x2, #32]
 |      30.   ldr	q4, [x2, #160]
 |      31.   zip1	v5.4s, v3.4s, v4.4s
 |      32.   zip2	v4.4s, v3.4s, v4.4s
 +----> 33.   smmla	v12.4s, v0.16b, v5.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 88% ]
 +----> 34.   smmla	v20.4s, v1.16b, v5.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 88% ]
 +----> 35.   smmla	v28.4s, v2.16b, v5.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 88% ]
 +----> 36.   smmla	v13.4s, v0.16b, v4.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 88% ]
 +----> 37.   smmla	v21.4s, v1.16b, v4.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 88% ]
 +----> 38.   smmla	v29.4s, v2.16b, v4.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 88% ]
 |      39.   ldr	q3, [x2, #48]
 |      40.   ldr	q4, [x2, #176]
 +----> 41.   zip1	v5.4s, v3.4s, v4.4s               ## RESOURCE interference:  V2UnitV0 [ probability: 10% ]
 |      42.   zip2	v4.4s, v3.4s, v4.4s
 +----> 43.   smmla	v14.4s, v0.16b, v5.16b            ## REGISTER dependency:  q5
 +----> 44.   smmla	v22.4s, v1.16b, v5.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 78% ]
 +----> 45.   smmla	v30.4s, v2.16b, v5.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 78% ]
 +----> 46.   smmla	v15.4s, v0.16b, v4.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 78% ]
 +----> 47.   smmla	v23.4s, v1.16b, v4.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 78% ]
 +----> 48.   smmla	v31.4s, v2.16b, v4.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 78% ]
 |      49.   add	x2, x2, #256
 |      50.   subs	x6, x6, #1
 |      51.   b.ne	.Lloop
 |
 |    < loop carried > 
 |
 +----> 22.   zip2	v4.4s, v3.4s, v4.4s               ## RESOURCE interference:  V2UnitV0 [ probability: 19% ]


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
0.50   0.50    -      -     4.01   4.99   5.00   1.84   1.82   1.82   1.54   2.01   1.98   9.50   9.50   9.50   9.50
*/
/* llvm-mca -mcpu=apple-a17 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      10400
Total Cycles:      2544
Total uOps:        12200

Dispatch Width:    6
uOps Per Cycle:    4.80
IPC:               4.09
Block RThroughput: 12.7


Cycles with backend pressure increase [ 70.48% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 70.24% ]
  - CyUnitLS  [ 18.32% ]
  - CyUnitV  [ 70.24% ]
  Data Dependencies:      [ 0.24% ]
  - Register Dependencies [ 0.24% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 1.    ld1	{ v0.d }[1], [x19], #8
 |
 |    < loop carried > 
 |
 |      0.    ldr	d0, [x0], #8
 +----> 1.    ld1	{ v0.d }[1], [x19], #8            ## REGISTER dependency:  x19
 |      2.    ldr	d1, [x20], #8
 +----> 3.    ld1	{ v1.d }[1], [x16], #8            ## RESOURCE interference:  CyUnitV [ probability: 66% ]
 |      4.    ldr	d2, [x21], #8
 +----> 5.    ld1	{ v2.d }[1], [x17], #8            ## RESOURCE interference:  CyUnitLS [ probability: 33% ]
 |      6.    eor	v0.16b, v0.16b, v6.16b
 |      7.    eor	v1.16b, v1.16b, v6.16b
 +----> 8.    eor	v2.16b, v2.16b, v6.16b            ## REGISTER dependency:  q2
 |      9.    ldr	q3, [x2]
 |      10.   ldr	q4, [x2, #128]
 +----> 11.   zip1	v5.4s, v3.4s, v4.4s               ## RESOURCE interference:  CyUnitV [ probability: 66% ]
 +----> 12.   zip2	v4.4s, v3.4s, v4.4s               ## RESOURCE interference:  CyUnitV [ probability: 66% ]
 |      13.   smmla	v8.4s, v0.16b, v5.16b
 |      14.   smmla	v16.4s, v1.16b, v5.16b
 |      15.   smmla	v24.4s, v2.16b, v5.16b
 |      16.   smmla	v9.4s, v0.16b, v4.16b
 |      17.   smmla	v17.4s, v1.16b, v4.16b
 |      18.   smmla	v25.4s, v2.16b, v4.16b
 |      19.   ldr	q3, [x2, #16]
 |      20.   ldr	q4, [x2, #144]
 +----> 21.   zip1	v5.4s, v3.4s, v4.4s               ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      22.   zip2	v4.4s, v3.4s, v4.4s
 +----> 23.   smmla	v10.4s, v0.16b, v5.16b            ## REGISTER dependency:  q5
 +----> 24.   smmla	v18.4s, v1.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 25.   smmla	v26.4s, v2.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 26.   smmla	v11.4s, v0.16b, v4.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 27.   smmla	v19.4s, v1.16b, v4.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 28.   smmla	v27.4s, v2.16b, v4.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      29.   ldr	q3, [x2, #32]
 |      30.   ldr	q4, [x2, #160]
 +----> 31.   zip1	v5.4s, v3.4s, v4.4s               ## RESOURCE interference:  CyUnitV [ probability: 66% ]
 +----> 32.   zip2	v4.4s, v3.4s, v4.4s               ## RESOURCE interference:  CyUnitV [ probability: 66% ]
 +----> 33.   smmla	v12.4s, v0.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 33% ]
 +----> 34.   smmla	v20.4s, v1.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 33% ]
 +----> 35.   smmla	v28.4s, v2.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 33% ]
 |      36.   smmla	v13.4s, v0.16b, v4.16b
 |      37.   smmla	v21.4s, v1.16b, v4.16b
 |      38.   smmla	v29.4s, v2.16b, v4.16b
 |      39.   ldr	q3, [x2, #48]
 |      40.   ldr	q4, [x2, #176]
 +----> 41.   zip1	v5.4s, v3.4s, v4.4s               ## RESOURCE interference:  CyUnitV [ probability: 33% ]
 +----> 42.   zip2	v4.4s, v3.4s, v4.4s               ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      43.   smmla	v14.4s, v0.16b, v5.16b
 |      44.   smmla	v22.4s, v1.16b, v5.16b
 |      45.   smmla	v30.4s, v2.16b, v5.16b
 +----> 46.   smmla	v15.4s, v0.16b, v4.16b            ## REGISTER dependency:  q4
 +----> 47.   smmla	v23.4s, v1.16b, v4.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 48.   smmla	v31.4s, v2.16b, v4.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      49.   add	x2, x2, #256
 |      50.   subs	x6, x6, #1
 |      51.   b.ne	.Lloop
 |
 |    < loop carried > 
 |
 +----> 3.    ld1	{ v1.d }[1], [x16], #8            ## RESOURCE interference:  CyUnitV [ probability: 66% ]


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
0.50   0.50    -      -      -     2.25   2.25   2.25   2.25    -      -      -      -      -     7.00   7.00   12.67  12.67  12.67   -      -      -      -
*/
