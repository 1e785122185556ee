// int8 SDOT tile (neon-dotprod): pelabel::cpu::aarch64::neon_int8::sdot_strip
// loop at 0x174804 (from 1 qemu blocks): 127 instructions, 3,068,928 iterations per frame (qemu), 1536 multiply-adds per iteration
.Lloop:
ldr q0, [x24], #0x10
ldr q1, [x21], #0x10
ldr q2, [x25], #0x10
ldr q3, [x28], #0x10
ldr q4, [x23], #0x10
ldr q5, [x22], #0x10
eor v0.16b, v0.16b, v6.16b
eor v1.16b, v1.16b, v6.16b
eor v2.16b, v2.16b, v6.16b
eor v3.16b, v3.16b, v6.16b
eor v4.16b, v4.16b, v6.16b
eor v5.16b, v5.16b, v6.16b
ldr q7, [x30]
sdot v8.4s, v7.16b, v0.4b[0]
sdot v12.4s, v7.16b, v1.4b[0]
sdot v16.4s, v7.16b, v2.4b[0]
sdot v20.4s, v7.16b, v3.4b[0]
sdot v24.4s, v7.16b, v4.4b[0]
sdot v28.4s, v7.16b, v5.4b[0]
ldr q7, [x30, #0x10]
sdot v9.4s, v7.16b, v0.4b[0]
sdot v13.4s, v7.16b, v1.4b[0]
sdot v17.4s, v7.16b, v2.4b[0]
sdot v21.4s, v7.16b, v3.4b[0]
sdot v25.4s, v7.16b, v4.4b[0]
sdot v29.4s, v7.16b, v5.4b[0]
ldr q7, [x30, #0x20]
sdot v10.4s, v7.16b, v0.4b[0]
sdot v14.4s, v7.16b, v1.4b[0]
sdot v18.4s, v7.16b, v2.4b[0]
sdot v22.4s, v7.16b, v3.4b[0]
sdot v26.4s, v7.16b, v4.4b[0]
sdot v30.4s, v7.16b, v5.4b[0]
ldr q7, [x30, #0x30]
sdot v11.4s, v7.16b, v0.4b[0]
sdot v15.4s, v7.16b, v1.4b[0]
sdot v19.4s, v7.16b, v2.4b[0]
sdot v23.4s, v7.16b, v3.4b[0]
sdot v27.4s, v7.16b, v4.4b[0]
sdot v31.4s, v7.16b, v5.4b[0]
ldr q7, [x30, #0x80]
sdot v8.4s, v7.16b, v0.4b[1]
sdot v12.4s, v7.16b, v1.4b[1]
sdot v16.4s, v7.16b, v2.4b[1]
sdot v20.4s, v7.16b, v3.4b[1]
sdot v24.4s, v7.16b, v4.4b[1]
sdot v28.4s, v7.16b, v5.4b[1]
ldr q7, [x30, #0x90]
sdot v9.4s, v7.16b, v0.4b[1]
sdot v13.4s, v7.16b, v1.4b[1]
sdot v17.4s, v7.16b, v2.4b[1]
sdot v21.4s, v7.16b, v3.4b[1]
sdot v25.4s, v7.16b, v4.4b[1]
sdot v29.4s, v7.16b, v5.4b[1]
ldr q7, [x30, #0xa0]
sdot v10.4s, v7.16b, v0.4b[1]
sdot v14.4s, v7.16b, v1.4b[1]
sdot v18.4s, v7.16b, v2.4b[1]
sdot v22.4s, v7.16b, v3.4b[1]
sdot v26.4s, v7.16b, v4.4b[1]
sdot v30.4s, v7.16b, v5.4b[1]
ldr q7, [x30, #0xb0]
sdot v11.4s, v7.16b, v0.4b[1]
sdot v15.4s, v7.16b, v1.4b[1]
sdot v19.4s, v7.16b, v2.4b[1]
sdot v23.4s, v7.16b, v3.4b[1]
sdot v27.4s, v7.16b, v4.4b[1]
sdot v31.4s, v7.16b, v5.4b[1]
ldr q7, [x30, #0x100]
sdot v8.4s, v7.16b, v0.4b[2]
sdot v12.4s, v7.16b, v1.4b[2]
sdot v16.4s, v7.16b, v2.4b[2]
sdot v20.4s, v7.16b, v3.4b[2]
sdot v24.4s, v7.16b, v4.4b[2]
sdot v28.4s, v7.16b, v5.4b[2]
ldr q7, [x30, #0x110]
sdot v9.4s, v7.16b, v0.4b[2]
sdot v13.4s, v7.16b, v1.4b[2]
sdot v17.4s, v7.16b, v2.4b[2]
sdot v21.4s, v7.16b, v3.4b[2]
sdot v25.4s, v7.16b, v4.4b[2]
sdot v29.4s, v7.16b, v5.4b[2]
ldr q7, [x30, #0x120]
sdot v10.4s, v7.16b, v0.4b[2]
sdot v14.4s, v7.16b, v1.4b[2]
sdot v18.4s, v7.16b, v2.4b[2]
sdot v22.4s, v7.16b, v3.4b[2]
sdot v26.4s, v7.16b, v4.4b[2]
sdot v30.4s, v7.16b, v5.4b[2]
ldr q7, [x30, #0x130]
sdot v11.4s, v7.16b, v0.4b[2]
sdot v15.4s, v7.16b, v1.4b[2]
sdot v19.4s, v7.16b, v2.4b[2]
sdot v23.4s, v7.16b, v3.4b[2]
sdot v27.4s, v7.16b, v4.4b[2]
sdot v31.4s, v7.16b, v5.4b[2]
ldr q7, [x30, #0x180]
sdot v8.4s, v7.16b, v0.4b[3]
sdot v12.4s, v7.16b, v1.4b[3]
sdot v16.4s, v7.16b, v2.4b[3]
sdot v20.4s, v7.16b, v3.4b[3]
sdot v24.4s, v7.16b, v4.4b[3]
sdot v28.4s, v7.16b, v5.4b[3]
ldr q7, [x30, #0x190]
sdot v9.4s, v7.16b, v0.4b[3]
sdot v13.4s, v7.16b, v1.4b[3]
sdot v17.4s, v7.16b, v2.4b[3]
sdot v21.4s, v7.16b, v3.4b[3]
sdot v25.4s, v7.16b, v4.4b[3]
sdot v29.4s, v7.16b, v5.4b[3]
ldr q7, [x30, #0x1a0]
sdot v10.4s, v7.16b, v0.4b[3]
sdot v14.4s, v7.16b, v1.4b[3]
sdot v18.4s, v7.16b, v2.4b[3]
sdot v22.4s, v7.16b, v3.4b[3]
sdot v26.4s, v7.16b, v4.4b[3]
sdot v30.4s, v7.16b, v5.4b[3]
ldr q7, [x30, #0x1b0]
sdot v11.4s, v7.16b, v0.4b[3]
sdot v15.4s, v7.16b, v1.4b[3]
sdot v19.4s, v7.16b, v2.4b[3]
sdot v23.4s, v7.16b, v3.4b[3]
sdot v27.4s, v7.16b, v4.4b[3]
sdot v31.4s, v7.16b, v5.4b[3]
add x30, x30, #0x200
subs x20, x20, #0x1
b.ne .Lloop

/* llvm-mca -mcpu=neoverse-v2 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      25400
Total Cycles:      5112
Total uOps:        27800

Dispatch Width:    16
uOps Per Cycle:    5.44
IPC:               4.97
Block RThroughput: 25.5


Cycles with backend pressure increase [ 31.32% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 31.22% ]
  - V2UnitL2  [ 0.12% ]
  - V2UnitL01  [ 0.12% ]
  - V2UnitV0  [ 31.16% ]
  - V2UnitV1  [ 31.16% ]
  - V2UnitV2  [ 31.16% ]
  - V2UnitV3  [ 31.16% ]
  Data Dependencies:      [ 2.11% ]
  - Register Dependencies [ 2.11% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 114.  sdot	v22.4s, v7.16b, v3.4b[3]
 |
 |    < loop carried > 
 |
 |      0.    ldr	q0, [x24], #16
 |      1.    ldr	q1, [x21], #16
 |      2.    ldr	q2, [x25], #16
 |      3.    ldr	q3, [x28], #16
 |      4.    ldr	q4, [x23], #16
 |      5.    ldr	q5, [x22], #16
 +----> 6.    eor	v0.16b, v0.16b, v6.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 7.    eor	v1.16b, v1.16b, v6.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 8.    eor	v2.16b, v2.16b, v6.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 9.    eor	v3.16b, v3.16b, v6.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 10.   eor	v4.16b, v4.16b, v6.16b            ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 11.   eor	v5.16b, v5.16b, v6.16b            ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 |      12.   ldr	q7, [x30]
 +----> 13.   sdot	v8.4s, v7.16b, v0.4b[0]           ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 14.   sdot	v12.4s, v7.16b, v1.4b[0]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 15.   sdot	v16.4s, v7.16b, v2.4b[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 |      16.   sdot	v20.4s, v7.16b, v3.4b[0]
 |      17.   sdot	v24.4s, v7.16b, v4.4b[0]
 |      18.   sdot	v28.4s, v7.16b, v5.4b[0]
 |      19.   ldr	q7, [x30, #16]
 +----> 20.   sdot	v9.4s, v7.16b, v0.4b[0]           ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 21.   sdot	v13.4s, v7.16b, v1.4b[0]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 22.   sdot	v17.4s, v7.16b, v2.4b[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 23.   sdot	v21.4s, v7.16b, v3.4b[0]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 24.   sdot	v25.4s, v7.16b, v4.4b[0]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 25.   sdot	v29.4s, v7.16b, v5.4b[0]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 |      26.   ldr	q7, [x30, #32]
 +----> 27.   sdot	v10.4s, v7.16b, v0.4b[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 28.   sdot	v14.4s, v7.16b, v1.4b[0]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 29.   sdot	v18.4s, v7.16b, v2.4b[0]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 30.   sdot	v22.4s, v7.16b, v3.4b[0]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 31.   sdot	v26.4s, v7.16b, v4.4b[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 32.   sdot	v30.4s, v7.16b, v5.4b[0]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 |      33.   ldr	q7, [x30, #48]
 +----> 34.   sdot	v11.4s, v7.16b, v0.4b[0]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 35.   sdot	v15.4s, v7.16b, v1.4b[0]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 36.   sdot	v19.4s, v7.16b, v2.4b[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 37.   sdot	v23.4s, v7.16b, v3.4b[0]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 38.   sdot	v27.4s, v7.16b, v4.4b[0]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 39.   sdot	v31.4s, v7.16b, v5.4b[0]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 |      40.   ldr	q7, [x30, #128]
 +----> 41.   sdot	v8.4s, v7.16b, v0.4b[1]           ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 42.   sdot	v12.4s, v7.16b, v1.4b[1]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 43.   sdot	v16.4s, v7.16b, v2.4b[1]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 44.   sdot	v20.4s, v7.16b, v3.4b[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 45.   sdot	v24.4s, v7.16b, v4.4b[1]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 46.   sdot	v28.4s, v7.16b, v5.4b[1]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 |      47.   ldr	q7, [x30, #144]
 +----> 48.   sdot	v9.4s, v7.16b, v0.4b[1]           ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 49.   sdot	v13.4s, v7.16b, v1.4b[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 50.   sdot	v17.4s, v7.16b, v2.4b[1]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 51.   sdot	v21.4s, v7.16b, v3.4b[1]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 52.   sdot	v25.4s, v7.16b, v4.4b[1]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 53.   sdot	v29.4s, v7.16b, v5.4b[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 |      54.   ldr	q7, [x30, #160]
 +----> 55.   sdot	v10.4s, v7.16b, v0.4b[1]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 56.   sdot	v14.4s, v7.16b, v1.4b[1]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 57.   sdot	v18.4s, v7.16b, v2.4b[1]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 58.   sdot	v22.4s, v7.16b, v3.4b[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 59.   sdot	v26.4s, v7.16b, v4.4b[1]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 60.   sdot	v30.4s, v7.16b, v5.4b[1]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 |      61.   ldr	q7, [x30, #176]
 +----> 62.   sdot	v11.4s, v7.16b, v0.4b[1]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 63.   sdot	v15.4s, v7.16b, v1.4b[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 64.   sdot	v19.4s, v7.16b, v2.4b[1]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 65.   sdot	v23.4s, v7.16b, v3.4b[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 66.   sdot	v27.4s, v7.16b, v4.4b[1]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 67.   sdot	v31.4s, v7.16b, v5.4b[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 |      68.   ldr	q7, [x30, #256]
 +----> 69.   sdot	v8.4s, v7.16b, v0.4b[2]           ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 70.   sdot	v12.4s, v7.16b, v1.4b[2]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 71.   sdot	v16.4s, v7.16b, v2.4b[2]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 72.   sdot	v20.4s, v7.16b, v3.4b[2]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 73.   sdot	v24.4s, v7.16b, v4.4b[2]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 74.   sdot	v28.4s, v7.16b, v5.4b[2]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 |      75.   ldr	q7, [x30, #272]
 +----> 76.   sdot	v9.4s, v7.16b, v0.4b[2]           ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 77.   sdot	v13.4s, v7.16b, v1.4b[2]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 78.   sdot	v17.4s, v7.16b, v2.4b[2]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 79.   sdot	v21.4s, v7.16b, v3.4b[2]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 80.   sdot	v25.4s, v7.16b, v4.4b[2]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 81.   sdot	v29.4s, v7.16b, v5.4b[2]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 |      82.   ldr	q7, [x30, #288]
 +----> 83.   sdot	v10.4s, v7.16b, v0.4b[2]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 84.   sdot	v14.4s, v7.16b, v1.4b[2]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 85.   sdot	v18.4s, v7.16b, v2.4b[2]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 86.   sdot	v22.4s, v7.16b, v3.4b[2]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 87.   sdot	v26.4s, v7.16b, v4.4b[2]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 88.   sdot	v30.4s, v7.16b, v5.4b[2]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 |      89.   ldr	q7, [x30, #304]
 +----> 90.   sdot	v11.4s, v7.16b, v0.4b[2]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 91.   sdot	v15.4s, v7.16b, v1.4b[2]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 92.   sdot	v19.4s, v7.16b, v2.4b[2]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 93.   sdot	v23.4s, v7.16b, v3.4b[2]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 94.   sdot	v27.4s, v7.16b, v4.4b[2]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 95.   sdot	v31.4s, v7.16b, v5.4b[2]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 |      96.   ldr	q7, [x30, #384]
 +----> 97.   sdot	v8.4s, v7.16b, v0.4b[3]           ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 98.   sdot	v12.4s, v7.16b, v1.4b[3]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 99.   sdot	v16.4s, v7.16b, v2.4b[3]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 100.  sdot	v20.4s, v7.16b, v3.4b[3]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 101.  sdot	v24.4s, v7.16b, v4.4b[3]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 102.  sdot	v28.4s, v7.16b, v5.4b[3]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 |      103.  ldr	q7, [x30, #400]
 +----> 104.  sdot	v9.4s, v7.16b, v0.4b[3]           ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 105.  sdot	v13.4s, v7.16b, v1.4b[3]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 106.  sdot	v17.4s, v7.16b, v2.4b[3]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 107.  sdot	v21.4s, v7.16b, v3.4b[3]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 108.  sdot	v25.4s, v7.16b, v4.4b[3]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 109.  sdot	v29.4s, v7.16b, v5.4b[3]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 |      110.  ldr	q7, [x30, #416]
 +----> 111.  sdot	v10.4s, v7.16b, v0.4b[3]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 112.  sdot	v14.4s, v7.16b, v1.4b[3]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 113.  sdot	v18.4s, v7.16b, v2.4b[3]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 114.  sdot	v22.4s, v7.16b, v3.4b[3]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 115.  sdot	v26.4s, v7.16b, v4.4b[3]          ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 116.  sdot	v30.4s, v7.16b, v5.4b[3]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 |      117.  ldr	q7, [x30, #432]
 +----> 118.  sdot	v11.4s, v7.16b, v0.4b[3]          ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 119.  sdot	v15.4s, v7.16b, v1.4b[3]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 120.  sdot	v19.4s, v7.16b, v2.4b[3]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 121.  sdot	v23.4s, v7.16b, v3.4b[3]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 122.  sdot	v27.4s, v7.16b, v4.4b[3]          ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 123.  sdot	v31.4s, v7.16b, v5.4b[3]          ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 |      124.  add	x30, x30, #512
 |      125.  subs	x20, x20, #1
 |      126.  b.ne	.Lloop
 |
 |    < loop carried > 
 |
 +----> 11.   eor	v5.16b, v5.16b, v6.16b            ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]


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
0.50   0.50    -      -     3.55   9.23   9.23   2.33   2.33   2.34   2.00   2.67   2.34   25.50  25.50  25.50  25.50
*/
/* llvm-mca -mcpu=apple-a17 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      25400
Total Cycles:      6809
Total uOps:        26600

Dispatch Width:    6
uOps Per Cycle:    3.91
IPC:               3.73
Block RThroughput: 34.0


Cycles with backend pressure increase [ 88.02% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 87.94% ]
  - CyUnitLS  [ 0.03% ]
  - CyUnitV  [ 87.91% ]
  Data Dependencies:      [ 3.00% ]
  - Register Dependencies [ 3.00% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 121.  sdot	v23.4s, v7.16b, v3.4b[3]
 |
 |    < loop carried > 
 |
 |      0.    ldr	q0, [x24], #16
 |      1.    ldr	q1, [x21], #16
 |      2.    ldr	q2, [x25], #16
 |      3.    ldr	q3, [x28], #16
 |      4.    ldr	q4, [x23], #16
 |      5.    ldr	q5, [x22], #16
 +----> 6.    eor	v0.16b, v0.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 7.    eor	v1.16b, v1.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 8.    eor	v2.16b, v2.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 9.    eor	v3.16b, v3.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 10.   eor	v4.16b, v4.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 11.   eor	v5.16b, v5.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      12.   ldr	q7, [x30]
 |      13.   sdot	v8.4s, v7.16b, v0.4b[0]
 |      14.   sdot	v12.4s, v7.16b, v1.4b[0]
 |      15.   sdot	v16.4s, v7.16b, v2.4b[0]
 |      16.   sdot	v20.4s, v7.16b, v3.4b[0]
 |      17.   sdot	v24.4s, v7.16b, v4.4b[0]
 +----> 18.   sdot	v28.4s, v7.16b, v5.4b[0]          ## REGISTER dependency:  q5
 |      19.   ldr	q7, [x30, #16]
 +----> 20.   sdot	v9.4s, v7.16b, v0.4b[0]           ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 21.   sdot	v13.4s, v7.16b, v1.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 22.   sdot	v17.4s, v7.16b, v2.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 23.   sdot	v21.4s, v7.16b, v3.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 24.   sdot	v25.4s, v7.16b, v4.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 25.   sdot	v29.4s, v7.16b, v5.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      26.   ldr	q7, [x30, #32]
 +----> 27.   sdot	v10.4s, v7.16b, v0.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 28.   sdot	v14.4s, v7.16b, v1.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 29.   sdot	v18.4s, v7.16b, v2.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 30.   sdot	v22.4s, v7.16b, v3.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 31.   sdot	v26.4s, v7.16b, v4.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 32.   sdot	v30.4s, v7.16b, v5.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      33.   ldr	q7, [x30, #48]
 +----> 34.   sdot	v11.4s, v7.16b, v0.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 35.   sdot	v15.4s, v7.16b, v1.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 36.   sdot	v19.4s, v7.16b, v2.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 37.   sdot	v23.4s, v7.16b, v3.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 38.   sdot	v27.4s, v7.16b, v4.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 39.   sdot	v31.4s, v7.16b, v5.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      40.   ldr	q7, [x30, #128]
 +----> 41.   sdot	v8.4s, v7.16b, v0.4b[1]           ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 42.   sdot	v12.4s, v7.16b, v1.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 43.   sdot	v16.4s, v7.16b, v2.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 44.   sdot	v20.4s, v7.16b, v3.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 45.   sdot	v24.4s, v7.16b, v4.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 46.   sdot	v28.4s, v7.16b, v5.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      47.   ldr	q7, [x30, #144]
 +----> 48.   sdot	v9.4s, v7.16b, v0.4b[1]           ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 49.   sdot	v13.4s, v7.16b, v1.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 50.   sdot	v17.4s, v7.16b, v2.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 51.   sdot	v21.4s, v7.16b, v3.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 52.   sdot	v25.4s, v7.16b, v4.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 53.   sdot	v29.4s, v7.16b, v5.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      54.   ldr	q7, [x30, #160]
 +----> 55.   sdot	v10.4s, v7.16b, v0.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 56.   sdot	v14.4s, v7.16b, v1.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 57.   sdot	v18.4s, v7.16b, v2.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 58.   sdot	v22.4s, v7.16b, v3.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 59.   sdot	v26.4s, v7.16b, v4.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 60.   sdot	v30.4s, v7.16b, v5.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      61.   ldr	q7, [x30, #176]
 +----> 62.   sdot	v11.4s, v7.16b, v0.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 63.   sdot	v15.4s, v7.16b, v1.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 64.   sdot	v19.4s, v7.16b, v2.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 65.   sdot	v23.4s, v7.16b, v3.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 66.   sdot	v27.4s, v7.16b, v4.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 67.   sdot	v31.4s, v7.16b, v5.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      68.   ldr	q7, [x30, #256]
 +----> 69.   sdot	v8.4s, v7.16b, v0.4b[2]           ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 70.   sdot	v12.4s, v7.16b, v1.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 71.   sdot	v16.4s, v7.16b, v2.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 72.   sdot	v20.4s, v7.16b, v3.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 73.   sdot	v24.4s, v7.16b, v4.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 74.   sdot	v28.4s, v7.16b, v5.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      75.   ldr	q7, [x30, #272]
 +----> 76.   sdot	v9.4s, v7.16b, v0.4b[2]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 77.   sdot	v13.4s, v7.16b, v1.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 78.   sdot	v17.4s, v7.16b, v2.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 79.   sdot	v21.4s, v7.16b, v3.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 80.   sdot	v25.4s, v7.16b, v4.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 81.   sdot	v29.4s, v7.16b, v5.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      82.   ldr	q7, [x30, #288]
 +----> 83.   sdot	v10.4s, v7.16b, v0.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 84.   sdot	v14.4s, v7.16b, v1.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 85.   sdot	v18.4s, v7.16b, v2.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 86.   sdot	v22.4s, v7.16b, v3.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 87.   sdot	v26.4s, v7.16b, v4.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 88.   sdot	v30.4s, v7.16b, v5.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      89.   ldr	q7, [x30, #304]
 +----> 90.   sdot	v11.4s, v7.16b, v0.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 91.   sdot	v15.4s, v7.16b, v1.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 92.   sdot	v19.4s, v7.16b, v2.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 93.   sdot	v23.4s, v7.16b, v3.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 94.   sdot	v27.4s, v7.16b, v4.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 95.   sdot	v31.4s, v7.16b, v5.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      96.   ldr	q7, [x30, #384]
 +----> 97.   sdot	v8.4s, v7.16b, v0.4b[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 98.   sdot	v12.4s, v7.16b, v1.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 99.   sdot	v16.4s, v7.16b, v2.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 100.  sdot	v20.4s, v7.16b, v3.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 101.  sdot	v24.4s, v7.16b, v4.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 102.  sdot	v28.4s, v7.16b, v5.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      103.  ldr	q7, [x30, #400]
 +----> 104.  sdot	v9.4s, v7.16b, v0.4b[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 105.  sdot	v13.4s, v7.16b, v1.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 106.  sdot	v17.4s, v7.16b, v2.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 107.  sdot	v21.4s, v7.16b, v3.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 108.  sdot	v25.4s, v7.16b, v4.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 109.  sdot	v29.4s, v7.16b, v5.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      110.  ldr	q7, [x30, #416]
 +----> 111.  sdot	v10.4s, v7.16b, v0.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 112.  sdot	v14.4s, v7.16b, v1.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 113.  sdot	v18.4s, v7.16b, v2.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 114.  sdot	v22.4s, v7.16b, v3.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 115.  sdot	v26.4s, v7.16b, v4.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 116.  sdot	v30.4s, v7.16b, v5.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      117.  ldr	q7, [x30, #432]
 +----> 118.  sdot	v11.4s, v7.16b, v0.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 119.  sdot	v15.4s, v7.16b, v1.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 120.  sdot	v19.4s, v7.16b, v2.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 121.  sdot	v23.4s, v7.16b, v3.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 122.  sdot	v27.4s, v7.16b, v4.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 123.  sdot	v31.4s, v7.16b, v5.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      124.  add	x30, x30, #512
 |      125.  subs	x20, x20, #1
 |      126.  b.ne	.Lloop
 |
 |    < loop carried > 
 |
 +----> 6.    eor	v0.16b, v0.16b, v6.16b            ## RESOURCE interference:  CyUnitV [ probability: 99% ]


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
0.50   0.50    -      -      -     2.25   2.25   2.25   2.25    -      -      -      -      -     11.00  11.00  34.00  34.00  34.00   -      -      -      -
*/
