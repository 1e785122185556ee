// f32 gemm crate (portable): gemm_f32::microkernel::neon::f32::x4x4
// loop at 0x131c08 (from 1 qemu blocks): 86 instructions, 17,971,200 iterations per frame (qemu), 256 multiply-adds per iteration
.Lloop:
ldp q26, q27, [x15]
subs x12, x12, #0x1
ldp q29, q30, [x15, #0x20]
add x15, x15, x9
ldr q28, [x13]
add x13, x13, x11
fmla v25.4s, v26.4s, v28.s[0]
fmla v24.4s, v27.4s, v28.s[0]
fmla v23.4s, v29.4s, v28.s[0]
fmla v22.4s, v30.4s, v28.s[0]
fmla v21.4s, v26.4s, v28.s[1]
fmla v20.4s, v27.4s, v28.s[1]
fmla v19.4s, v29.4s, v28.s[1]
fmla v18.4s, v30.4s, v28.s[1]
fmla v17.4s, v26.4s, v28.s[2]
fmla v16.4s, v27.4s, v28.s[2]
fmla v7.4s, v29.4s, v28.s[2]
fmla v6.4s, v30.4s, v28.s[2]
fmla v5.4s, v26.4s, v28.s[3]
fmla v4.4s, v27.4s, v28.s[3]
fmla v3.4s, v29.4s, v28.s[3]
fmla v2.4s, v30.4s, v28.s[3]
ldr q29, [x13]
ldp q26, q27, [x15]
add x13, x13, x11
ldp q28, q30, [x15, #0x20]
add x15, x15, x9
fmla v25.4s, v26.4s, v29.s[0]
fmla v24.4s, v27.4s, v29.s[0]
fmla v23.4s, v28.4s, v29.s[0]
fmla v22.4s, v30.4s, v29.s[0]
fmla v21.4s, v26.4s, v29.s[1]
fmla v20.4s, v27.4s, v29.s[1]
fmla v19.4s, v28.4s, v29.s[1]
fmla v18.4s, v30.4s, v29.s[1]
fmla v17.4s, v26.4s, v29.s[2]
fmla v16.4s, v27.4s, v29.s[2]
fmla v7.4s, v28.4s, v29.s[2]
fmla v6.4s, v30.4s, v29.s[2]
fmla v5.4s, v26.4s, v29.s[3]
fmla v4.4s, v27.4s, v29.s[3]
fmla v3.4s, v28.4s, v29.s[3]
fmla v2.4s, v30.4s, v29.s[3]
ldr q28, [x13]
ldp q26, q27, [x15]
add x13, x13, x11
ldp q29, q30, [x15, #0x20]
add x15, x15, x9
fmla v25.4s, v26.4s, v28.s[0]
fmla v24.4s, v27.4s, v28.s[0]
fmla v23.4s, v29.4s, v28.s[0]
fmla v22.4s, v30.4s, v28.s[0]
fmla v21.4s, v26.4s, v28.s[1]
fmla v20.4s, v27.4s, v28.s[1]
fmla v19.4s, v29.4s, v28.s[1]
fmla v18.4s, v30.4s, v28.s[1]
fmla v17.4s, v26.4s, v28.s[2]
fmla v16.4s, v27.4s, v28.s[2]
fmla v7.4s, v29.4s, v28.s[2]
fmla v6.4s, v30.4s, v28.s[2]
fmla v5.4s, v26.4s, v28.s[3]
fmla v4.4s, v27.4s, v28.s[3]
fmla v3.4s, v29.4s, v28.s[3]
fmla v2.4s, v30.4s, v28.s[3]
ldr q29, [x13]
ldp q26, q27, [x15]
add x13, x13, x11
ldp q28, q30, [x15, #0x20]
add x15, x15, x9
fmla v25.4s, v26.4s, v29.s[0]
fmla v24.4s, v27.4s, v29.s[0]
fmla v23.4s, v28.4s, v29.s[0]
fmla v22.4s, v30.4s, v29.s[0]
fmla v21.4s, v26.4s, v29.s[1]
fmla v20.4s, v27.4s, v29.s[1]
fmla v19.4s, v28.4s, v29.s[1]
fmla v18.4s, v30.4s, v29.s[1]
fmla v17.4s, v26.4s, v29.s[2]
fmla v16.4s, v27.4s, v29.s[2]
fmla v7.4s, v28.4s, v29.s[2]
fmla v6.4s, v30.4s, v29.s[2]
fmla v5.4s, v26.4s, v29.s[3]
fmla v4.4s, v27.4s, v29.s[3]
fmla v3.4s, v28.4s, v29.s[3]
fmla v2.4s, v30.4s, v29.s[3]
b.ne .Lloop

/* llvm-mca -mcpu=neoverse-v2 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      17200
Total Cycles:      3212
Total uOps:        20400

Dispatch Width:    16
uOps Per Cycle:    6.35
IPC:               5.35
Block RThroughput: 16.0


Cycles with backend pressure increase [ 25.22% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 25.12% ]
  - V2UnitL2  [ 0.72% ]
  - V2UnitL01  [ 0.72% ]
  - V2UnitV0  [ 25.03% ]
  - V2UnitV1  [ 25.03% ]
  - V2UnitV2  [ 25.03% ]
  - V2UnitV3  [ 25.03% ]
  Data Dependencies:      [ 0.19% ]
  - Register Dependencies [ 0.19% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 67.   ldp	q28, q30, [x15, #32]
 |
 |    < loop carried > 
 |
 |      0.    ldp	q26, q27, [x15]
 |      1.    subs	x12, x12, #1
 |      2.    ldp	q29, q30, [x15, #32]
 |      3.    add	x15, x15, x9
 +----> 4.    ldr	q28, [x13]                        ## RESOURCE interference:  V2UnitL2 [ probability: 0% ]
 |      5.    add	x13, x13, x11
 +----> 6.    fmla	v25.4s, v26.4s, v28.s[0]          ## REGISTER dependency:  q28
 +----> 7.    fmla	v24.4s, v27.4s, v28.s[0]          ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 8.    fmla	v23.4s, v29.4s, v28.s[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 9.    fmla	v22.4s, v30.4s, v28.s[0]          ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 10.   fmla	v21.4s, v26.4s, v28.s[1]          ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 11.   fmla	v20.4s, v27.4s, v28.s[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 12.   fmla	v19.4s, v29.4s, v28.s[1]          ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 13.   fmla	v18.4s, v30.4s, v28.s[1]          ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 +----> 14.   fmla	v17.4s, v26.4s, v28.s[2]          ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 15.   fmla	v16.4s, v27.4s, v28.s[2]          ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 16.   fmla	v7.4s, v29.4s, v28.s[2]           ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 17.   fmla	v6.4s, v30.4s, v28.s[2]           ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 +----> 18.   fmla	v5.4s, v26.4s, v28.s[3]           ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 19.   fmla	v4.4s, v27.4s, v28.s[3]           ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 20.   fmla	v3.4s, v29.4s, v28.s[3]           ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 21.   fmla	v2.4s, v30.4s, v28.s[3]           ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 |      22.   ldr	q29, [x13]
 |      23.   ldp	q26, q27, [x15]
 |      24.   add	x13, x13, x11
 |      25.   ldp	q28, q30, [x15, #32]
 |      26.   add	x15, x15, x9
 +----> 27.   fmla	v25.4s, v26.4s, v29.s[0]          ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 28.   fmla	v24.4s, v27.4s, v29.s[0]          ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 29.   fmla	v23.4s, v28.4s, v29.s[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 30.   fmla	v22.4s, v30.4s, v29.s[0]          ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 31.   fmla	v21.4s, v26.4s, v29.s[1]          ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 32.   fmla	v20.4s, v27.4s, v29.s[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 33.   fmla	v19.4s, v28.4s, v29.s[1]          ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 34.   fmla	v18.4s, v30.4s, v29.s[1]          ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 35.   fmla	v17.4s, v26.4s, v29.s[2]          ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 36.   fmla	v16.4s, v27.4s, v29.s[2]          ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 37.   fmla	v7.4s, v28.4s, v29.s[2]           ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 38.   fmla	v6.4s, v30.4s, v29.s[2]           ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 39.   fmla	v5.4s, v26.4s, v29.s[3]           ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 40.   fmla	v4.4s, v27.4s, v29.s[3]           ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 41.   fmla	v3.4s, v28.4s, v29.s[3]           ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 42.   fmla	v2.4s, v30.4s, v29.s[3]           ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 |      43.   ldr	q28, [x13]
 |      44.   ldp	q26, q27, [x15]
 |      45.   add	x13, x13, x11
 |      46.   ldp	q29, q30, [x15, #32]
 |      47.   add	x15, x15, x9
 +----> 48.   fmla	v25.4s, v26.4s, v28.s[0]          ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 49.   fmla	v24.4s, v27.4s, v28.s[0]          ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 50.   fmla	v23.4s, v29.4s, v28.s[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 51.   fmla	v22.4s, v30.4s, v28.s[0]          ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 52.   fmla	v21.4s, v26.4s, v28.s[1]          ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 53.   fmla	v20.4s, v27.4s, v28.s[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 54.   fmla	v19.4s, v29.4s, v28.s[1]          ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 55.   fmla	v18.4s, v30.4s, v28.s[1]          ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 56.   fmla	v17.4s, v26.4s, v28.s[2]          ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 57.   fmla	v16.4s, v27.4s, v28.s[2]          ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 58.   fmla	v7.4s, v29.4s, v28.s[2]           ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 59.   fmla	v6.4s, v30.4s, v28.s[2]           ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 60.   fmla	v5.4s, v26.4s, v28.s[3]           ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 61.   fmla	v4.4s, v27.4s, v28.s[3]           ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 62.   fmla	v3.4s, v29.4s, v28.s[3]           ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 63.   fmla	v2.4s, v30.4s, v28.s[3]           ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 |      64.   ldr	q29, [x13]
 |      65.   ldp	q26, q27, [x15]
 |      66.   add	x13, x13, x11
 |      67.   ldp	q28, q30, [x15, #32]
 |      68.   add	x15, x15, x9
 +----> 69.   fmla	v25.4s, v26.4s, v29.s[0]          ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 70.   fmla	v24.4s, v27.4s, v29.s[0]          ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 71.   fmla	v23.4s, v28.4s, v29.s[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 72.   fmla	v22.4s, v30.4s, v29.s[0]          ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 73.   fmla	v21.4s, v26.4s, v29.s[1]          ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 74.   fmla	v20.4s, v27.4s, v29.s[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 75.   fmla	v19.4s, v28.4s, v29.s[1]          ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 76.   fmla	v18.4s, v30.4s, v29.s[1]          ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 77.   fmla	v17.4s, v26.4s, v29.s[2]          ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 78.   fmla	v16.4s, v27.4s, v29.s[2]          ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 79.   fmla	v7.4s, v28.4s, v29.s[2]           ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 80.   fmla	v6.4s, v30.4s, v29.s[2]           ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 81.   fmla	v5.4s, v26.4s, v29.s[3]           ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 82.   fmla	v4.4s, v27.4s, v29.s[3]           ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 83.   fmla	v3.4s, v28.4s, v29.s[3]           ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 84.   fmla	v2.4s, v30.4s, v29.s[3]           ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 |      85.   b.ne	.Lloop
 |
 |    < loop carried > 
 |
 +----> 6.    fmla	v25.4s, v26.4s, v28.s[0]          ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]


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
0.50   0.50    -      -     5.04   7.00   7.97   1.50   1.50   1.50   1.50   1.50   1.50   16.00  16.00  16.00  16.00
*/
/* llvm-mca -mcpu=apple-a17 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      17200
Total Cycles:      4276
Total uOps:        18800

Dispatch Width:    6
uOps Per Cycle:    4.40
IPC:               4.02
Block RThroughput: 21.3


Cycles with backend pressure increase [ 76.15% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 76.08% ]
  - CyUnitLS  [ 0.02% ]
  - CyUnitV  [ 76.05% ]
  Data Dependencies:      [ 0.09% ]
  - Register Dependencies [ 0.09% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 82.   fmla	v4.4s, v27.4s, v29.s[3]
 |
 |    < loop carried > 
 |
 |      0.    ldp	q26, q27, [x15]
 |      1.    subs	x12, x12, #1
 |      2.    ldp	q29, q30, [x15, #32]
 |      3.    add	x15, x15, x9
 |      4.    ldr	q28, [x13]
 |      5.    add	x13, x13, x11
 +----> 6.    fmla	v25.4s, v26.4s, v28.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 7.    fmla	v24.4s, v27.4s, v28.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 8.    fmla	v23.4s, v29.4s, v28.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 9.    fmla	v22.4s, v30.4s, v28.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 10.   fmla	v21.4s, v26.4s, v28.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 11.   fmla	v20.4s, v27.4s, v28.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 12.   fmla	v19.4s, v29.4s, v28.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 13.   fmla	v18.4s, v30.4s, v28.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 14.   fmla	v17.4s, v26.4s, v28.s[2]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 15.   fmla	v16.4s, v27.4s, v28.s[2]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 16.   fmla	v7.4s, v29.4s, v28.s[2]           ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 17.   fmla	v6.4s, v30.4s, v28.s[2]           ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 18.   fmla	v5.4s, v26.4s, v28.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 19.   fmla	v4.4s, v27.4s, v28.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 20.   fmla	v3.4s, v29.4s, v28.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 21.   fmla	v2.4s, v30.4s, v28.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      22.   ldr	q29, [x13]
 |      23.   ldp	q26, q27, [x15]
 |      24.   add	x13, x13, x11
 |      25.   ldp	q28, q30, [x15, #32]
 |      26.   add	x15, x15, x9
 +----> 27.   fmla	v25.4s, v26.4s, v29.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 28.   fmla	v24.4s, v27.4s, v29.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 29.   fmla	v23.4s, v28.4s, v29.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 30.   fmla	v22.4s, v30.4s, v29.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 31.   fmla	v21.4s, v26.4s, v29.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 32.   fmla	v20.4s, v27.4s, v29.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 33.   fmla	v19.4s, v28.4s, v29.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 34.   fmla	v18.4s, v30.4s, v29.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 35.   fmla	v17.4s, v26.4s, v29.s[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 36.   fmla	v16.4s, v27.4s, v29.s[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 37.   fmla	v7.4s, v28.4s, v29.s[2]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 38.   fmla	v6.4s, v30.4s, v29.s[2]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 39.   fmla	v5.4s, v26.4s, v29.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 40.   fmla	v4.4s, v27.4s, v29.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 41.   fmla	v3.4s, v28.4s, v29.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 42.   fmla	v2.4s, v30.4s, v29.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      43.   ldr	q28, [x13]
 |      44.   ldp	q26, q27, [x15]
 |      45.   add	x13, x13, x11
 |      46.   ldp	q29, q30, [x15, #32]
 |      47.   add	x15, x15, x9
 +----> 48.   fmla	v25.4s, v26.4s, v28.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 49.   fmla	v24.4s, v27.4s, v28.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 50.   fmla	v23.4s, v29.4s, v28.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 51.   fmla	v22.4s, v30.4s, v28.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 52.   fmla	v21.4s, v26.4s, v28.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 53.   fmla	v20.4s, v27.4s, v28.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 54.   fmla	v19.4s, v29.4s, v28.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 55.   fmla	v18.4s, v30.4s, v28.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 56.   fmla	v17.4s, v26.4s, v28.s[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 57.   fmla	v16.4s, v27.4s, v28.s[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 58.   fmla	v7.4s, v29.4s, v28.s[2]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 59.   fmla	v6.4s, v30.4s, v28.s[2]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 60.   fmla	v5.4s, v26.4s, v28.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 61.   fmla	v4.4s, v27.4s, v28.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 62.   fmla	v3.4s, v29.4s, v28.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 63.   fmla	v2.4s, v30.4s, v28.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      64.   ldr	q29, [x13]
 |      65.   ldp	q26, q27, [x15]
 |      66.   add	x13, x13, x11
 |      67.   ldp	q28, q30, [x15, #32]
 |      68.   add	x15, x15, x9
 +----> 69.   fmla	v25.4s, v26.4s, v29.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 70.   fmla	v24.4s, v27.4s, v29.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 71.   fmla	v23.4s, v28.4s, v29.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 72.   fmla	v22.4s, v30.4s, v29.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 73.   fmla	v21.4s, v26.4s, v29.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 74.   fmla	v20.4s, v27.4s, v29.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 75.   fmla	v19.4s, v28.4s, v29.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 76.   fmla	v18.4s, v30.4s, v29.s[1]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 77.   fmla	v17.4s, v26.4s, v29.s[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 78.   fmla	v16.4s, v27.4s, v29.s[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 79.   fmla	v7.4s, v28.4s, v29.s[2]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 80.   fmla	v6.4s, v30.4s, v29.s[2]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 81.   fmla	v5.4s, v26.4s, v29.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 82.   fmla	v4.4s, v27.4s, v29.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 83.   fmla	v3.4s, v28.4s, v29.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 84.   fmla	v2.4s, v30.4s, v29.s[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      85.   b.ne	.Lloop
 |
 |    < loop carried > 
 |
 +----> 8.    fmla	v23.4s, v29.4s, v28.s[0]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]


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
0.50   0.50    -      -      -     4.50   4.50   4.50   4.50    -      -     8.00   8.00    -     6.00   6.00   21.33  21.34  21.34   -      -      -      -
*/
