// int8 SMMLA tile (neon-i8mm): pelabel::cpu::aarch64::neon_int8::smmla_pairs_strip
// loop at 0x17a8d0 (from 1 qemu blocks): 32 instructions, 6,151,680 iterations per frame (qemu), 768 multiply-adds per iteration
.Lloop:
ldr q0, [x27], #0x10
ldr q1, [x23], #0x10
ldr q2, [x24], #0x10
ld1 { v3.16b, v4.16b, v5.16b, v6.16b }, [x25], #64
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
ld1 { v3.16b, v4.16b, v5.16b, v6.16b }, [x25], #64
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
add x25, x25, #0x80
subs x28, x28, #0x1
b.ne .Lloop

/* llvm-mca -mcpu=neoverse-v2 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      6400
Total Cycles:      1212
Total uOps:        9200

Dispatch Width:    16
uOps Per Cycle:    7.59
IPC:               5.28
Block RThroughput: 6.0


Cycles with backend pressure increase [ 49.09% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 48.84% ]
  - V2UnitL2  [ 2.56% ]
  - V2UnitL01  [ 2.56% ]
  - V2UnitV0  [ 48.51% ]
  - V2UnitV1  [ 48.51% ]
  - V2UnitV2  [ 48.51% ]
  - V2UnitV3  [ 48.51% ]
  Data Dependencies:      [ 1.82% ]
  - Register Dependencies [ 1.82% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 29.   add	x25, x25, #128
 |
 |    < loop carried > 
 |
 |      0.    ldr	q0, [x27], #16
 |      1.    ldr	q1, [x23], #16
 |      2.    ldr	q2, [x24], #16
 +----> 3.    ld1	{ v3.16b, v4.16b, v5.16b, v6.16b }, [x25], #64 ## REGISTER dependency:  x25
 +----> 4.    smmla	v8.4s, v0.16b, v3.16b             ## REGISTER dependency:  Q3_Q4_Q5_Q6
 +----> 5.    smmla	v16.4s, v1.16b, v3.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 96% ]
 +----> 6.    smmla	v24.4s, v2.16b, v3.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 96% ]
 +----> 7.    smmla	v9.4s, v0.16b, v4.16b             ## RESOURCE interference:  V2UnitV1 [ probability: 96% ]
 +----> 8.    smmla	v17.4s, v1.16b, v4.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 97% ]
 +----> 9.    smmla	v25.4s, v2.16b, v4.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 97% ]
 +----> 10.   smmla	v10.4s, v0.16b, v5.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 97% ]
 +----> 11.   smmla	v18.4s, v1.16b, v5.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 97% ]
 +----> 12.   smmla	v26.4s, v2.16b, v5.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 97% ]
 +----> 13.   smmla	v11.4s, v0.16b, v6.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 97% ]
 +----> 14.   smmla	v19.4s, v1.16b, v6.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 97% ]
 +----> 15.   smmla	v27.4s, v2.16b, v6.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 97% ]
 |      16.   ld1	{ v3.16b, v4.16b, v5.16b, v6.16b }, [x25], #64
 +----> 17.   smmla	v12.4s, v0.16b, v3.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 97% ]
 +----> 18.   smmla	v20.4s, v1.16b, v3.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 97% ]
 +----> 19.   smmla	v28.4s, v2.16b, v3.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 97% ]
 +----> 20.   smmla	v13.4s, v0.16b, v4.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 97% ]
 +----> 21.   smmla	v21.4s, v1.16b, v4.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 97% ]
 +----> 22.   smmla	v29.4s, v2.16b, v4.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 97% ]
 +----> 23.   smmla	v14.4s, v0.16b, v5.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 97% ]
 +----> 24.   smmla	v22.4s, v1.16b, v5.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 97% ]
 +----> 25.   smmla	v30.4s, v2.16b, v5.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 97% ]
 +----> 26.   smmla	v15.4s, v0.16b, v6.16b            ## RESOURCE interference:  V2UnitV3 [ probability: 97% ]
 +----> 27.   smmla	v23.4s, v1.16b, v6.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 97% ]
 +----> 28.   smmla	v31.4s, v2.16b, v6.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 97% ]
 |      29.   add	x25, x25, #128
 |      30.   subs	x28, x28, #1
 |      31.   b.ne	.Lloop
 |
 |    < loop carried > 
 |
 +----> 4.    smmla	v8.4s, v0.16b, v3.16b             ## RESOURCE interference:  V2UnitV0 [ probability: 96% ]


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
0.50   0.50    -      -     3.51   3.99   3.51   1.65   1.67   1.36   1.67   1.84   1.84   6.00   6.00   6.00   6.00
*/
/* llvm-mca -mcpu=apple-a17 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      6400
Total Cycles:      2204
Total uOps:        8600

Dispatch Width:    6
uOps Per Cycle:    3.90
IPC:               2.90
Block RThroughput: 8.0


Cycles with backend pressure increase [ 89.34% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 62.34% ]
  - CyUnitLS  [ 17.56% ]
  - CyUnitV  [ 53.54% ]
  Data Dependencies:      [ 71.73% ]
  - Register Dependencies [ 71.73% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 29.   add	x25, x25, #128
 |
 |    < loop carried > 
 |
 |      0.    ldr	q0, [x27], #16
 |      1.    ldr	q1, [x23], #16
 |      2.    ldr	q2, [x24], #16
 +----> 3.    ld1	{ v3.16b, v4.16b, v5.16b, v6.16b }, [x25], #64 ## REGISTER dependency:  x25
 +----> 4.    smmla	v8.4s, v0.16b, v3.16b             ## REGISTER dependency:  Q3_Q4_Q5_Q6
 |      5.    smmla	v16.4s, v1.16b, v3.16b
 |      6.    smmla	v24.4s, v2.16b, v3.16b
 +----> 7.    smmla	v9.4s, v0.16b, v4.16b             ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 +----> 8.    smmla	v17.4s, v1.16b, v4.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 9.    smmla	v25.4s, v2.16b, v4.16b            ## RESOURCE interference:  CyUnitV [ probability: 98% ]
 +----> 10.   smmla	v10.4s, v0.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 11.   smmla	v18.4s, v1.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 12.   smmla	v26.4s, v2.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 13.   smmla	v11.4s, v0.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 14.   smmla	v19.4s, v1.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 15.   smmla	v27.4s, v2.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      16.   ld1	{ v3.16b, v4.16b, v5.16b, v6.16b }, [x25], #64
 |      17.   smmla	v12.4s, v0.16b, v3.16b
 |      18.   smmla	v20.4s, v1.16b, v3.16b
 +----> 19.   smmla	v28.4s, v2.16b, v3.16b            ## RESOURCE interference:  CyUnitV [ probability: 0% ]
 +----> 20.   smmla	v13.4s, v0.16b, v4.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 21.   smmla	v21.4s, v1.16b, v4.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 22.   smmla	v29.4s, v2.16b, v4.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 23.   smmla	v14.4s, v0.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 24.   smmla	v22.4s, v1.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 25.   smmla	v30.4s, v2.16b, v5.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 26.   smmla	v15.4s, v0.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 27.   smmla	v23.4s, v1.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 28.   smmla	v31.4s, v2.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
        29.   add	x25, x25, #128
        30.   subs	x28, x28, #1
        31.   b.ne	.Lloop


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
0.50   0.50    -      -      -     2.00   2.00   2.00   2.00    -      -      -      -      -     5.50   5.51   8.00   8.00   8.00    -      -      -      -
*/
