// f32 FMLA tile (neon): pelabel::cpu::threads::for_blocks::_{{closure}}
// loop at 0x17e078 (from 2 qemu blocks): 120 instructions, 12,061,440 iterations per frame (qemu), 384 multiply-adds per iteration
.Lloop:
add x12, x8, x21
add x11, x10, x20
ldr q0, [x8], #0x10
ldr q1, [x12]
add x12, x12, x21
ldr q2, [x12]
add x12, x12, x21
add x10, x10, #0x200
ldp q6, q7, [x11]
ldr q3, [x12]
add x12, x12, x21
ldr q5, [x12]
ldr q4, [x12, x21]
fmla v12.4s, v6.4s, v0.s[0]
fmla v9.4s, v6.4s, v1.s[0]
fmla v29.4s, v6.4s, v2.s[0]
fmla v15.4s, v7.4s, v0.s[0]
fmla v25.4s, v6.4s, v3.s[0]
fmla v11.4s, v7.4s, v1.s[0]
fmla v21.4s, v6.4s, v5.s[0]
fmla v17.4s, v6.4s, v4.s[0]
fmla v31.4s, v7.4s, v2.s[0]
fmla v27.4s, v7.4s, v3.s[0]
fmla v23.4s, v7.4s, v5.s[0]
fmla v19.4s, v7.4s, v4.s[0]
ldp q6, q7, [x11, #0x20]
fmla v14.4s, v6.4s, v0.s[0]
fmla v10.4s, v6.4s, v1.s[0]
fmla v30.4s, v6.4s, v2.s[0]
fmla v26.4s, v6.4s, v3.s[0]
fmla v22.4s, v6.4s, v5.s[0]
fmla v18.4s, v6.4s, v4.s[0]
fmla v13.4s, v7.4s, v0.s[0]
fmla v8.4s, v7.4s, v1.s[0]
fmla v28.4s, v7.4s, v2.s[0]
fmla v24.4s, v7.4s, v3.s[0]
fmla v20.4s, v7.4s, v5.s[0]
fmla v16.4s, v7.4s, v4.s[0]
ldp q6, q7, [x11, #0x80]
fmla v12.4s, v6.4s, v0.s[1]
fmla v9.4s, v6.4s, v1.s[1]
fmla v29.4s, v6.4s, v2.s[1]
fmla v25.4s, v6.4s, v3.s[1]
fmla v21.4s, v6.4s, v5.s[1]
fmla v17.4s, v6.4s, v4.s[1]
fmla v15.4s, v7.4s, v0.s[1]
fmla v11.4s, v7.4s, v1.s[1]
fmla v31.4s, v7.4s, v2.s[1]
fmla v27.4s, v7.4s, v3.s[1]
fmla v23.4s, v7.4s, v5.s[1]
fmla v19.4s, v7.4s, v4.s[1]
ldp q6, q7, [x11, #0xa0]
fmla v14.4s, v6.4s, v0.s[1]
fmla v10.4s, v6.4s, v1.s[1]
fmla v30.4s, v6.4s, v2.s[1]
fmla v26.4s, v6.4s, v3.s[1]
fmla v22.4s, v6.4s, v5.s[1]
fmla v18.4s, v6.4s, v4.s[1]
fmla v13.4s, v7.4s, v0.s[1]
fmla v8.4s, v7.4s, v1.s[1]
fmla v28.4s, v7.4s, v2.s[1]
fmla v24.4s, v7.4s, v3.s[1]
fmla v20.4s, v7.4s, v5.s[1]
fmla v16.4s, v7.4s, v4.s[1]
ldp q6, q7, [x11, #0x100]
fmla v12.4s, v6.4s, v0.s[2]
fmla v9.4s, v6.4s, v1.s[2]
fmla v29.4s, v6.4s, v2.s[2]
fmla v25.4s, v6.4s, v3.s[2]
fmla v21.4s, v6.4s, v5.s[2]
fmla v17.4s, v6.4s, v4.s[2]
fmla v15.4s, v7.4s, v0.s[2]
fmla v11.4s, v7.4s, v1.s[2]
fmla v31.4s, v7.4s, v2.s[2]
fmla v27.4s, v7.4s, v3.s[2]
fmla v23.4s, v7.4s, v5.s[2]
fmla v19.4s, v7.4s, v4.s[2]
ldp q6, q7, [x11, #0x120]
fmla v14.4s, v6.4s, v0.s[2]
fmla v10.4s, v6.4s, v1.s[2]
fmla v30.4s, v6.4s, v2.s[2]
fmla v26.4s, v6.4s, v3.s[2]
fmla v22.4s, v6.4s, v5.s[2]
fmla v18.4s, v6.4s, v4.s[2]
fmla v13.4s, v7.4s, v0.s[2]
fmla v8.4s, v7.4s, v1.s[2]
fmla v28.4s, v7.4s, v2.s[2]
fmla v24.4s, v7.4s, v3.s[2]
fmla v20.4s, v7.4s, v5.s[2]
fmla v16.4s, v7.4s, v4.s[2]
ldp q6, q7, [x11, #0x180]
fmla v12.4s, v6.4s, v0.s[3]
fmla v9.4s, v6.4s, v1.s[3]
fmla v29.4s, v6.4s, v2.s[3]
fmla v25.4s, v6.4s, v3.s[3]
fmla v21.4s, v6.4s, v5.s[3]
fmla v17.4s, v6.4s, v4.s[3]
fmla v15.4s, v7.4s, v0.s[3]
fmla v11.4s, v7.4s, v1.s[3]
fmla v31.4s, v7.4s, v2.s[3]
fmla v27.4s, v7.4s, v3.s[3]
fmla v23.4s, v7.4s, v5.s[3]
fmla v19.4s, v7.4s, v4.s[3]
ldp q6, q7, [x11, #0x1a0]
add x11, x9, #0x8
cmp x11, x19
add x9, x9, #0x4
fmla v14.4s, v6.4s, v0.s[3]
fmla v10.4s, v6.4s, v1.s[3]
fmla v30.4s, v6.4s, v2.s[3]
fmla v26.4s, v6.4s, v3.s[3]
fmla v22.4s, v6.4s, v5.s[3]
fmla v18.4s, v6.4s, v4.s[3]
fmla v13.4s, v7.4s, v0.s[3]
fmla v8.4s, v7.4s, v1.s[3]
fmla v28.4s, v7.4s, v2.s[3]
fmla v24.4s, v7.4s, v3.s[3]
fmla v20.4s, v7.4s, v5.s[3]
fmla v16.4s, v7.4s, v4.s[3]
b.ls .Lloop

/* llvm-mca -mcpu=neoverse-v2 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      24000
Total Cycles:      4813
Total uOps:        27600

Dispatch Width:    16
uOps Per Cycle:    5.73
IPC:               4.99
Block RThroughput: 24.0


Cycles with backend pressure increase [ 33.28% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 33.18% ]
  - V2UnitL2  [ 0.08% ]
  - V2UnitL01  [ 0.08% ]
  - V2UnitV0  [ 33.14% ]
  - V2UnitV1  [ 33.14% ]
  - V2UnitV2  [ 33.14% ]
  - V2UnitV3  [ 33.14% ]
  Data Dependencies:      [ 0.31% ]
  - Register Dependencies [ 0.31% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
        0.    add	x12, x8, x21
        1.    add	x11, x10, x20
 +----< 2.    ldr	q0, [x8], #16
 |      3.    ldr	q1, [x12]
 |      4.    add	x12, x12, x21
 |      5.    ldr	q2, [x12]
 |      6.    add	x12, x12, x21
 |      7.    add	x10, x10, #512
 |      8.    ldp	q6, q7, [x11]
 |      9.    ldr	q3, [x12]
 |      10.   add	x12, x12, x21
 |      11.   ldr	q5, [x12]
 |      12.   ldr	q4, [x12, x21]
 +----> 13.   fmla	v12.4s, v6.4s, v0.s[0]            ## REGISTER dependency:  q0
 +----> 14.   fmla	v9.4s, v6.4s, v1.s[0]             ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 15.   fmla	v29.4s, v6.4s, v2.s[0]            ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 16.   fmla	v15.4s, v7.4s, v0.s[0]            ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 17.   fmla	v25.4s, v6.4s, v3.s[0]            ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 18.   fmla	v11.4s, v7.4s, v1.s[0]            ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 19.   fmla	v21.4s, v6.4s, v5.s[0]            ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 20.   fmla	v17.4s, v6.4s, v4.s[0]            ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 21.   fmla	v31.4s, v7.4s, v2.s[0]            ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 22.   fmla	v27.4s, v7.4s, v3.s[0]            ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 23.   fmla	v23.4s, v7.4s, v5.s[0]            ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 24.   fmla	v19.4s, v7.4s, v4.s[0]            ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 |      25.   ldp	q6, q7, [x11, #32]
 +----> 26.   fmla	v14.4s, v6.4s, v0.s[0]            ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 27.   fmla	v10.4s, v6.4s, v1.s[0]            ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 28.   fmla	v30.4s, v6.4s, v2.s[0]            ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 29.   fmla	v26.4s, v6.4s, v3.s[0]            ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 30.   fmla	v22.4s, v6.4s, v5.s[0]            ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 31.   fmla	v18.4s, v6.4s, v4.s[0]            ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 32.   fmla	v13.4s, v7.4s, v0.s[0]            ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 33.   fmla	v8.4s, v7.4s, v1.s[0]             ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 34.   fmla	v28.4s, v7.4s, v2.s[0]            ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 35.   fmla	v24.4s, v7.4s, v3.s[0]            ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 36.   fmla	v20.4s, v7.4s, v5.s[0]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 37.   fmla	v16.4s, v7.4s, v4.s[0]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 |      38.   ldp	q6, q7, [x11, #128]
 +----> 39.   fmla	v12.4s, v6.4s, v0.s[1]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 40.   fmla	v9.4s, v6.4s, v1.s[1]             ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 41.   fmla	v29.4s, v6.4s, v2.s[1]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 42.   fmla	v25.4s, v6.4s, v3.s[1]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 +----> 43.   fmla	v21.4s, v6.4s, v5.s[1]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 44.   fmla	v17.4s, v6.4s, v4.s[1]            ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 45.   fmla	v15.4s, v7.4s, v0.s[1]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 46.   fmla	v11.4s, v7.4s, v1.s[1]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 +----> 47.   fmla	v31.4s, v7.4s, v2.s[1]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 48.   fmla	v27.4s, v7.4s, v3.s[1]            ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 49.   fmla	v23.4s, v7.4s, v5.s[1]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 50.   fmla	v19.4s, v7.4s, v4.s[1]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 |      51.   ldp	q6, q7, [x11, #160]
 +----> 52.   fmla	v14.4s, v6.4s, v0.s[1]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 53.   fmla	v10.4s, v6.4s, v1.s[1]            ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 54.   fmla	v30.4s, v6.4s, v2.s[1]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 55.   fmla	v26.4s, v6.4s, v3.s[1]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 +----> 56.   fmla	v22.4s, v6.4s, v5.s[1]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 57.   fmla	v18.4s, v6.4s, v4.s[1]            ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 58.   fmla	v13.4s, v7.4s, v0.s[1]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 59.   fmla	v8.4s, v7.4s, v1.s[1]             ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 +----> 60.   fmla	v28.4s, v7.4s, v2.s[1]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 61.   fmla	v24.4s, v7.4s, v3.s[1]            ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 62.   fmla	v20.4s, v7.4s, v5.s[1]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 63.   fmla	v16.4s, v7.4s, v4.s[1]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 |      64.   ldp	q6, q7, [x11, #256]
 +----> 65.   fmla	v12.4s, v6.4s, v0.s[2]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 66.   fmla	v9.4s, v6.4s, v1.s[2]             ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 67.   fmla	v29.4s, v6.4s, v2.s[2]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 68.   fmla	v25.4s, v6.4s, v3.s[2]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 +----> 69.   fmla	v21.4s, v6.4s, v5.s[2]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 70.   fmla	v17.4s, v6.4s, v4.s[2]            ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 71.   fmla	v15.4s, v7.4s, v0.s[2]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 72.   fmla	v11.4s, v7.4s, v1.s[2]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 +----> 73.   fmla	v31.4s, v7.4s, v2.s[2]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 74.   fmla	v27.4s, v7.4s, v3.s[2]            ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 75.   fmla	v23.4s, v7.4s, v5.s[2]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 76.   fmla	v19.4s, v7.4s, v4.s[2]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 |      77.   ldp	q6, q7, [x11, #288]
 +----> 78.   fmla	v14.4s, v6.4s, v0.s[2]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 79.   fmla	v10.4s, v6.4s, v1.s[2]            ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 80.   fmla	v30.4s, v6.4s, v2.s[2]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 81.   fmla	v26.4s, v6.4s, v3.s[2]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 +----> 82.   fmla	v22.4s, v6.4s, v5.s[2]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 83.   fmla	v18.4s, v6.4s, v4.s[2]            ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 84.   fmla	v13.4s, v7.4s, v0.s[2]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 85.   fmla	v8.4s, v7.4s, v1.s[2]             ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 +----> 86.   fmla	v28.4s, v7.4s, v2.s[2]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 87.   fmla	v24.4s, v7.4s, v3.s[2]            ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 88.   fmla	v20.4s, v7.4s, v5.s[2]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 89.   fmla	v16.4s, v7.4s, v4.s[2]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 |      90.   ldp	q6, q7, [x11, #384]
 +----> 91.   fmla	v12.4s, v6.4s, v0.s[3]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 92.   fmla	v9.4s, v6.4s, v1.s[3]             ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 93.   fmla	v29.4s, v6.4s, v2.s[3]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 94.   fmla	v25.4s, v6.4s, v3.s[3]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 +----> 95.   fmla	v21.4s, v6.4s, v5.s[3]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 96.   fmla	v17.4s, v6.4s, v4.s[3]            ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 97.   fmla	v15.4s, v7.4s, v0.s[3]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 98.   fmla	v11.4s, v7.4s, v1.s[3]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 +----> 99.   fmla	v31.4s, v7.4s, v2.s[3]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 100.  fmla	v27.4s, v7.4s, v3.s[3]            ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 101.  fmla	v23.4s, v7.4s, v5.s[3]            ## RESOURCE interference:  V2UnitV2 [ probability: 99% ]
 +----> 102.  fmla	v19.4s, v7.4s, v4.s[3]            ## RESOURCE interference:  V2UnitV1 [ probability: 99% ]
 |      103.  ldp	q6, q7, [x11, #416]
 |      104.  add	x11, x9, #8
 |      105.  cmp	x11, x19
 |      106.  add	x9, x9, #4
 +----> 107.  fmla	v14.4s, v6.4s, v0.s[3]            ## RESOURCE interference:  V2UnitV0 [ probability: 99% ]
 +----> 108.  fmla	v10.4s, v6.4s, v1.s[3]            ## RESOURCE interference:  V2UnitV3 [ probability: 99% ]
 +----> 109.  fmla	v30.4s, v6.4s, v2.s[3]            ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 110.  fmla	v26.4s, v6.4s, v3.s[3]            ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 111.  fmla	v22.4s, v6.4s, v5.s[3]            ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 112.  fmla	v18.4s, v6.4s, v4.s[3]            ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 113.  fmla	v13.4s, v7.4s, v0.s[3]            ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 114.  fmla	v8.4s, v7.4s, v1.s[3]             ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 +----> 115.  fmla	v28.4s, v7.4s, v2.s[3]            ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]
 +----> 116.  fmla	v24.4s, v7.4s, v3.s[3]            ## RESOURCE interference:  V2UnitV3 [ probability: 98% ]
 +----> 117.  fmla	v20.4s, v7.4s, v5.s[3]            ## RESOURCE interference:  V2UnitV2 [ probability: 98% ]
 +----> 118.  fmla	v16.4s, v7.4s, v4.s[3]            ## RESOURCE interference:  V2UnitV1 [ probability: 98% ]
 |      119.  b.ls	.Lloop
 |
 |    < loop carried > 
 |
 +----> 13.   fmla	v12.4s, v6.4s, v0.s[0]            ## RESOURCE interference:  V2UnitV0 [ probability: 98% ]


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
0.50   0.50    -      -     4.06   8.97   8.98   1.67   2.00   1.67   2.01   1.67   2.01   24.00  24.00  24.00  24.00
*/
/* llvm-mca -mcpu=apple-a17 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      24000
Total Cycles:      6411
Total uOps:        26000

Dispatch Width:    6
uOps Per Cycle:    4.06
IPC:               3.74
Block RThroughput: 32.0


Cycles with backend pressure increase [ 93.46% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 93.36% ]
  - CyUnitV  [ 93.36% ]
  Data Dependencies:      [ 21.87% ]
  - Register Dependencies [ 21.87% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 116.  fmla	v24.4s, v7.4s, v3.s[3]
 |
 |    < loop carried > 
 |
 |      0.    add	x12, x8, x21
 |      1.    add	x11, x10, x20
 |      2.    ldr	q0, [x8], #16
 |      3.    ldr	q1, [x12]
 |      4.    add	x12, x12, x21
 |      5.    ldr	q2, [x12]
 |      6.    add	x12, x12, x21
 |      7.    add	x10, x10, #512
 |      8.    ldp	q6, q7, [x11]
 |      9.    ldr	q3, [x12]
 |      10.   add	x12, x12, x21
 |      11.   ldr	q5, [x12]
 |      12.   ldr	q4, [x12, x21]
 +----> 13.   fmla	v12.4s, v6.4s, v0.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 14.   fmla	v9.4s, v6.4s, v1.s[0]             ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 15.   fmla	v29.4s, v6.4s, v2.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 16.   fmla	v15.4s, v7.4s, v0.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 17.   fmla	v25.4s, v6.4s, v3.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 18.   fmla	v11.4s, v7.4s, v1.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 19.   fmla	v21.4s, v6.4s, v5.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 20.   fmla	v17.4s, v6.4s, v4.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 21.   fmla	v31.4s, v7.4s, v2.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 22.   fmla	v27.4s, v7.4s, v3.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 23.   fmla	v23.4s, v7.4s, v5.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 24.   fmla	v19.4s, v7.4s, v4.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      25.   ldp	q6, q7, [x11, #32]
 +----> 26.   fmla	v14.4s, v6.4s, v0.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 27.   fmla	v10.4s, v6.4s, v1.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 28.   fmla	v30.4s, v6.4s, v2.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 29.   fmla	v26.4s, v6.4s, v3.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 30.   fmla	v22.4s, v6.4s, v5.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 31.   fmla	v18.4s, v6.4s, v4.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 32.   fmla	v13.4s, v7.4s, v0.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 33.   fmla	v8.4s, v7.4s, v1.s[0]             ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 34.   fmla	v28.4s, v7.4s, v2.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 35.   fmla	v24.4s, v7.4s, v3.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 36.   fmla	v20.4s, v7.4s, v5.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 37.   fmla	v16.4s, v7.4s, v4.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      38.   ldp	q6, q7, [x11, #128]
 +----> 39.   fmla	v12.4s, v6.4s, v0.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 40.   fmla	v9.4s, v6.4s, v1.s[1]             ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 41.   fmla	v29.4s, v6.4s, v2.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 42.   fmla	v25.4s, v6.4s, v3.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 43.   fmla	v21.4s, v6.4s, v5.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 44.   fmla	v17.4s, v6.4s, v4.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 45.   fmla	v15.4s, v7.4s, v0.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 46.   fmla	v11.4s, v7.4s, v1.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 47.   fmla	v31.4s, v7.4s, v2.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 48.   fmla	v27.4s, v7.4s, v3.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 49.   fmla	v23.4s, v7.4s, v5.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 50.   fmla	v19.4s, v7.4s, v4.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      51.   ldp	q6, q7, [x11, #160]
 +----> 52.   fmla	v14.4s, v6.4s, v0.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 53.   fmla	v10.4s, v6.4s, v1.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 54.   fmla	v30.4s, v6.4s, v2.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 55.   fmla	v26.4s, v6.4s, v3.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 56.   fmla	v22.4s, v6.4s, v5.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 57.   fmla	v18.4s, v6.4s, v4.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 58.   fmla	v13.4s, v7.4s, v0.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 59.   fmla	v8.4s, v7.4s, v1.s[1]             ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 60.   fmla	v28.4s, v7.4s, v2.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 61.   fmla	v24.4s, v7.4s, v3.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 62.   fmla	v20.4s, v7.4s, v5.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 63.   fmla	v16.4s, v7.4s, v4.s[1]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      64.   ldp	q6, q7, [x11, #256]
 +----> 65.   fmla	v12.4s, v6.4s, v0.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 66.   fmla	v9.4s, v6.4s, v1.s[2]             ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 67.   fmla	v29.4s, v6.4s, v2.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 68.   fmla	v25.4s, v6.4s, v3.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 69.   fmla	v21.4s, v6.4s, v5.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 70.   fmla	v17.4s, v6.4s, v4.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 71.   fmla	v15.4s, v7.4s, v0.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 72.   fmla	v11.4s, v7.4s, v1.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 73.   fmla	v31.4s, v7.4s, v2.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 74.   fmla	v27.4s, v7.4s, v3.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 75.   fmla	v23.4s, v7.4s, v5.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 76.   fmla	v19.4s, v7.4s, v4.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      77.   ldp	q6, q7, [x11, #288]
 +----> 78.   fmla	v14.4s, v6.4s, v0.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 79.   fmla	v10.4s, v6.4s, v1.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 80.   fmla	v30.4s, v6.4s, v2.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 81.   fmla	v26.4s, v6.4s, v3.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 82.   fmla	v22.4s, v6.4s, v5.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 83.   fmla	v18.4s, v6.4s, v4.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 84.   fmla	v13.4s, v7.4s, v0.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 85.   fmla	v8.4s, v7.4s, v1.s[2]             ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 86.   fmla	v28.4s, v7.4s, v2.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 87.   fmla	v24.4s, v7.4s, v3.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 88.   fmla	v20.4s, v7.4s, v5.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 89.   fmla	v16.4s, v7.4s, v4.s[2]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      90.   ldp	q6, q7, [x11, #384]
 +----> 91.   fmla	v12.4s, v6.4s, v0.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 92.   fmla	v9.4s, v6.4s, v1.s[3]             ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 93.   fmla	v29.4s, v6.4s, v2.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 94.   fmla	v25.4s, v6.4s, v3.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 95.   fmla	v21.4s, v6.4s, v5.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 96.   fmla	v17.4s, v6.4s, v4.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 97.   fmla	v15.4s, v7.4s, v0.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 98.   fmla	v11.4s, v7.4s, v1.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 99.   fmla	v31.4s, v7.4s, v2.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 100.  fmla	v27.4s, v7.4s, v3.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 101.  fmla	v23.4s, v7.4s, v5.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 102.  fmla	v19.4s, v7.4s, v4.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      103.  ldp	q6, q7, [x11, #416]
 |      104.  add	x11, x9, #8
 |      105.  cmp	x11, x19
 |      106.  add	x9, x9, #4
 +----> 107.  fmla	v14.4s, v6.4s, v0.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 108.  fmla	v10.4s, v6.4s, v1.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 109.  fmla	v30.4s, v6.4s, v2.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 110.  fmla	v26.4s, v6.4s, v3.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 111.  fmla	v22.4s, v6.4s, v5.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 112.  fmla	v18.4s, v6.4s, v4.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 113.  fmla	v13.4s, v7.4s, v0.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 114.  fmla	v8.4s, v7.4s, v1.s[3]             ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 115.  fmla	v28.4s, v7.4s, v2.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 116.  fmla	v24.4s, v7.4s, v3.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 117.  fmla	v20.4s, v7.4s, v5.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 118.  fmla	v16.4s, v7.4s, v4.s[3]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      119.  b.ls	.Lloop
 |
 |    < loop carried > 
 |
 +----> 13.   fmla	v12.4s, v6.4s, v0.s[0]            ## RESOURCE interference:  CyUnitV [ probability: 99% ]


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
0.50   0.50    -      -      -     4.00   4.00   6.00   4.01    -      -     6.50   6.50    -     7.00   7.00   32.00  32.00  32.00   -      -      -      -
*/
