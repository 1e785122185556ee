// int8 SMMLA tile (neon-i8mm): pelabel::cpu::aarch64::neon_int8::smmla_pairs_tile
// loop at 0x15c850 (from 1 qemu blocks): 38 instructions, 6,165,504 iterations per frame (qemu), 768 multiply-adds per iteration
.Lloop:
ldr d0, [x0], #0x8
ld1 { v0.d }[1], [x19], #8
ldr d1, [x20], #0x8
ld1 { v1.d }[1], [x16], #8
ldr d2, [x21], #0x8
ld1 { v2.d }[1], [x17], #8
eor v0.16b, v0.16b, v7.16b
eor v1.16b, v1.16b, v7.16b
eor v2.16b, v2.16b, v7.16b
ld1 { v3.16b, v4.16b, v5.16b, v6.16b }, [x2], #64
smmla v8.4s, v0.16b, v3.16b
smmla v16.4s, v1.16b, v3.16b
smmla v24.4s, v2.16b, v3.16b
smmla v9.4s, v0.16b, v4.16b
smmla v17.4s, v1.16b, v4.16b
smmla v25.4s, v2.16b, v4.16b
smmla v10.4s, v0.16b, v5.16b
smmla v18.4s, v1.16b, v5.16b
smmla v26.4s, v2.16b, v5.16b
smmla v11.4s, v0.16b, v6.16b
smmla v19.4s, v1.16b, v6.16b
smmla v27.4s, v2.16b, v6.16b
ld1 { v3.16b, v4.16b, v5.16b, v6.16b }, [x2], #64
smmla v12.4s, v0.16b, v3.16b
smmla v20.4s, v1.16b, v3.16b
smmla v28.4s, v2.16b, v3.16b
smmla v13.4s, v0.16b, v4.16b
smmla v21.4s, v1.16b, v4.16b
smmla v29.4s, v2.16b, v4.16b
smmla v14.4s, v0.16b, v5.16b
smmla v22.4s, v1.16b, v5.16b
smmla v30.4s, v2.16b, v5.16b
smmla v15.4s, v0.16b, v6.16b
smmla v23.4s, v1.16b, v6.16b
smmla v31.4s, v2.16b, v6.16b
add x2, x2, #0x80
subs x6, x6, #0x1
b.ne .Lloop

/* llvm-mca -mcpu=neoverse-v2 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      7600
Total Cycles:      1686
Total uOps:        11600

Dispatch Width:    16
uOps Per Cycle:    6.88
IPC:               4.51
Block RThroughput: 7.5


Cycles with backend pressure increase [ 39.26% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 38.14% ]
  - V2UnitL2  [ 7.89% ]
  - V2UnitL01  [ 7.89% ]
  - V2UnitV0  [ 34.22% ]
  - V2UnitV1  [ 34.22% ]
  - V2UnitV2  [ 34.22% ]
  - V2UnitV3  [ 34.22% ]
  Data Dependencies:      [ 6.47% ]
  - Register Dependencies [ 6.47% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 22.   ld1	{ v3.16b, v4.16b, v5.16b, v6.16b }, [x2], #64
 |
 |    < loop carried > 
 |
 |      0.    ldr	d0, [x0], #8
 +----> 1.    ld1	{ v0.d }[1], [x19], #8            ## RESOURCE interference:  V2UnitL01 [ probability: 17% ]
 |      2.    ldr	d1, [x20], #8
 |      3.    ld1	{ v1.d }[1], [x16], #8
 |      4.    ldr	d2, [x21], #8
 |      5.    ld1	{ v2.d }[1], [x17], #8
 +----> 6.    eor	v0.16b, v0.16b, v7.16b            ## REGISTER dependency:  q0
 +----> 7.    eor	v1.16b, v1.16b, v7.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 26% ]
 +----> 8.    eor	v2.16b, v2.16b, v7.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 22% ]
 |      9.    ld1	{ v3.16b, v4.16b, v5.16b, v6.16b }, [x2], #64
 +----> 10.   smmla	v8.4s, v0.16b, v3.16b             ## RESOURCE interference:  V2UnitV1 [ probability: 8% ]
 +----> 11.   smmla	v16.4s, v1.16b, v3.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 13% ]
 +----> 12.   smmla	v24.4s, v2.16b, v3.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 8% ]
 +----> 13.   smmla	v9.4s, v0.16b, v4.16b             ## RESOURCE interference:  V2UnitV2 [ probability: 8% ]
 +----> 14.   smmla	v17.4s, v1.16b, v4.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 18% ]
 +----> 15.   smmla	v25.4s, v2.16b, v4.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 17% ]
 +----> 16.   smmla	v10.4s, v0.16b, v5.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 26% ]
 +----> 17.   smmla	v18.4s, v1.16b, v5.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 26% ]
 +----> 18.   smmla	v26.4s, v2.16b, v5.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 26% ]
 +----> 19.   smmla	v11.4s, v0.16b, v6.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 26% ]
 +----> 20.   smmla	v19.4s, v1.16b, v6.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 34% ]
 +----> 21.   smmla	v27.4s, v2.16b, v6.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 35% ]
 |      22.   ld1	{ v3.16b, v4.16b, v5.16b, v6.16b }, [x2], #64
 +----> 23.   smmla	v12.4s, v0.16b, v3.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 26% ]
 +----> 24.   smmla	v20.4s, v1.16b, v3.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 26% ]
 +----> 25.   smmla	v28.4s, v2.16b, v3.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 26% ]
 +----> 26.   smmla	v13.4s, v0.16b, v4.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 26% ]
 +----> 27.   smmla	v21.4s, v1.16b, v4.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 26% ]
 +----> 28.   smmla	v29.4s, v2.16b, v4.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 39% ]
 +----> 29.   smmla	v14.4s, v0.16b, v5.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 34% ]
 +----> 30.   smmla	v22.4s, v1.16b, v5.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 35% ]
 +----> 31.   smmla	v30.4s, v2.16b, v5.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 35% ]
 +----> 32.   smmla	v15.4s, v0.16b, v6.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 34% ]
 +----> 33.   smmla	v23.4s, v1.16b, v6.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 34% ]
 +----> 34.   smmla	v31.4s, v2.16b, v6.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 38% ]
 |      35.   add	x2, x2, #128
 |      36.   subs	x6, x6, #1
 |      37.   b.ne	.Lloop
 |
 |    < loop carried > 
 |
 +----> 6.    eor	v0.16b, v0.16b, v7.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 22% ]


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
0.50   0.50    -      -     3.87   5.40   4.74   2.17   2.17   2.17   1.92   2.29   2.30   7.50   7.50   7.50   7.50
*/
/* llvm-mca -mcpu=apple-a17 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      7600
Total Cycles:      2207
Total uOps:        11000

Dispatch Width:    6
uOps Per Cycle:    4.98
IPC:               3.44
Block RThroughput: 10.0


Cycles with backend pressure increase [ 62.75% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 53.83% ]
  - CyUnitLS  [ 8.88% ]
  - CyUnitV  [ 53.69% ]
  Data Dependencies:      [ 62.39% ]
  - Register Dependencies [ 62.39% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 35.   add	x2, x2, #128
 |
 |    < loop carried > 
 |
 |      0.    ldr	d0, [x0], #8
 |      1.    ld1	{ v0.d }[1], [x19], #8
 |      2.    ldr	d1, [x20], #8
 |      3.    ld1	{ v1.d }[1], [x16], #8
 |      4.    ldr	d2, [x21], #8
 |      5.    ld1	{ v2.d }[1], [x17], #8
 |      6.    eor	v0.16b, v0.16b, v7.16b
 |      7.    eor	v1.16b, v1.16b, v7.16b
 |      8.    eor	v2.16b, v2.16b, v7.16b
 +----> 9.    ld1	{ v3.16b, v4.16b, v5.16b, v6.16b }, [x2], #64 ## REGISTER dependency:  x2
 |      10.   smmla	v8.4s, v0.16b, v3.16b
 |      11.   smmla	v16.4s, v1.16b, v3.16b
 |      12.   smmla	v24.4s, v2.16b, v3.16b
 |      13.   smmla	v9.4s, v0.16b, v4.16b
 |      14.   smmla	v17.4s, v1.16b, v4.16b
 |      15.   smmla	v25.4s, v2.16b, v4.16b
 |      16.   smmla	v10.4s, v0.16b, v5.16b
 |      17.   smmla	v18.4s, v1.16b, v5.16b
 |      18.   smmla	v26.4s, v2.16b, v5.16b
 |      19.   smmla	v11.4s, v0.16b, v6.16b
 |      20.   smmla	v19.4s, v1.16b, v6.16b
 |      21.   smmla	v27.4s, v2.16b, v6.16b
 +----> 22.   ld1	{ v3.16b, v4.16b, v5.16b, v6.16b }, [x2], #64 ## REGISTER dependency:  x2
 +----> 23.   smmla	v12.4s, v0.16b, v3.16b            ## REGISTER dependency:  Q3_Q4_Q5_Q6
 |      24.   smmla	v20.4s, v1.16b, v3.16b
 |      25.   smmla	v28.4s, v2.16b, v3.16b
 +----> 26.   smmla	v13.4s, v0.16b, v4.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 27.   smmla	v21.4s, v1.16b, v4.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 28.   smmla	v29.4s, v2.16b, v4.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 29.   smmla	v14.4s, v0.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 30.   smmla	v22.4s, v1.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 31.   smmla	v30.4s, v2.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 32.   smmla	v15.4s, v0.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 33.   smmla	v23.4s, v1.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 34.   smmla	v31.4s, v2.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      35.   add	x2, x2, #128
 |      36.   subs	x6, x6, #1
 |      37.   b.ne	.Lloop
 |
 |    < loop carried > 
 |
 +----> 1.    ld1	{ v0.d }[1], [x19], #8            ## RESOURCE interference:  CyUnitV [ probability: 99% ]


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
0.50   0.50    -      -      -     2.75   2.75   2.75   2.75    -      -      -      -      -     8.89   5.11   10.00  10.00  10.00   -      -      -      -
*/
