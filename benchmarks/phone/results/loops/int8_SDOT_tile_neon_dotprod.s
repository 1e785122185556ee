// int8 SDOT tile (neon-dotprod): pelabel::cpu::aarch64::neon_int8::sdot_tile
// loop at 0x19b768 (from 2 qemu blocks): 169 instructions, 2,813,184 iterations per frame (qemu), 1536 multiply-adds per iteration
.Lloop:
stp q31, q29, [sp]
add x13, x12, x9
movi v31.16b, #0x80
add x14, x13, x9
ldr q9, [x13]
ldr q10, [x12], #0x10
add x13, x14, x9
ldr q11, [x14]
mov v29.16b, v28.16b
add x14, x13, x9
mov v28.16b, v27.16b
mov v27.16b, v26.16b
mov v26.16b, v25.16b
mov v25.16b, v24.16b
mov v24.16b, v23.16b
mov v23.16b, v22.16b
mov v22.16b, v21.16b
mov v21.16b, v20.16b
mov v20.16b, v19.16b
mov v19.16b, v18.16b
mov v18.16b, v17.16b
mov v17.16b, v16.16b
mov v16.16b, v7.16b
mov v7.16b, v6.16b
mov v6.16b, v5.16b
mov v5.16b, v4.16b
ldr q0, [x14]
mov v4.16b, v3.16b
mov v3.16b, v2.16b
ldur q8, [x11, #-0x100]
mov v2.16b, v15.16b
ldr q15, [x13]
eor v14.16b, v10.16b, v31.16b
ldr q10, [x14, x9]
eor v12.16b, v9.16b, v31.16b
eor v13.16b, v11.16b, v31.16b
eor v11.16b, v15.16b, v31.16b
eor v9.16b, v0.16b, v31.16b
sdot v30.4s, v8.16b, v11.4b[0]
mov v15.16b, v2.16b
mov v2.16b, v3.16b
add x13, x10, #0x8
mov v3.16b, v4.16b
mov v4.16b, v5.16b
cmp x13, x1
mov v5.16b, v6.16b
mov v6.16b, v7.16b
add x10, x10, #0x4
mov v7.16b, v16.16b
mov v16.16b, v17.16b
mov v17.16b, v18.16b
mov v18.16b, v19.16b
mov v19.16b, v20.16b
mov v20.16b, v21.16b
mov v21.16b, v22.16b
mov v22.16b, v23.16b
sdot v21.4s, v8.16b, v14.4b[0]
mov v23.16b, v24.16b
mov v24.16b, v25.16b
sdot v24.4s, v8.16b, v12.4b[0]
mov v25.16b, v26.16b
mov v26.16b, v27.16b
mov v27.16b, v28.16b
mov v28.16b, v29.16b
eor v10.16b, v10.16b, v31.16b
ldp q31, q29, [sp]
sdot v28.4s, v8.16b, v9.4b[0]
sdot v31.4s, v8.16b, v13.4b[0]
sdot v26.4s, v8.16b, v10.4b[0]
ldp q0, q8, [x11, #-0xf0]
sdot v29.4s, v0.16b, v14.4b[0]
sdot v27.4s, v0.16b, v12.4b[0]
sdot v25.4s, v0.16b, v13.4b[0]
sdot v23.4s, v0.16b, v11.4b[0]
sdot v22.4s, v0.16b, v9.4b[0]
sdot v20.4s, v0.16b, v10.4b[0]
ldur q0, [x11, #-0xd0]
sdot v19.4s, v8.16b, v14.4b[0]
sdot v18.4s, v8.16b, v12.4b[0]
sdot v17.4s, v8.16b, v13.4b[0]
sdot v16.4s, v8.16b, v11.4b[0]
sdot v6.4s, v8.16b, v9.4b[0]
sdot v4.4s, v8.16b, v10.4b[0]
sdot v7.4s, v0.16b, v14.4b[0]
sdot v5.4s, v0.16b, v12.4b[0]
sdot v3.4s, v0.16b, v13.4b[0]
sdot v2.4s, v0.16b, v11.4b[0]
sdot v15.4s, v0.16b, v9.4b[0]
sdot v1.4s, v0.16b, v10.4b[0]
ldp q8, q0, [x11, #-0x80]
sdot v21.4s, v8.16b, v14.4b[1]
sdot v24.4s, v8.16b, v12.4b[1]
sdot v31.4s, v8.16b, v13.4b[1]
sdot v30.4s, v8.16b, v11.4b[1]
sdot v28.4s, v8.16b, v9.4b[1]
sdot v26.4s, v8.16b, v10.4b[1]
sdot v29.4s, v0.16b, v14.4b[1]
sdot v27.4s, v0.16b, v12.4b[1]
sdot v25.4s, v0.16b, v13.4b[1]
sdot v23.4s, v0.16b, v11.4b[1]
sdot v22.4s, v0.16b, v9.4b[1]
sdot v20.4s, v0.16b, v10.4b[1]
ldp q8, q0, [x11, #-0x60]
sdot v19.4s, v8.16b, v14.4b[1]
sdot v18.4s, v8.16b, v12.4b[1]
sdot v17.4s, v8.16b, v13.4b[1]
sdot v16.4s, v8.16b, v11.4b[1]
sdot v6.4s, v8.16b, v9.4b[1]
sdot v4.4s, v8.16b, v10.4b[1]
sdot v7.4s, v0.16b, v14.4b[1]
sdot v5.4s, v0.16b, v12.4b[1]
sdot v3.4s, v0.16b, v13.4b[1]
sdot v2.4s, v0.16b, v11.4b[1]
sdot v15.4s, v0.16b, v9.4b[1]
sdot v1.4s, v0.16b, v10.4b[1]
ldp q8, q0, [x11]
sdot v21.4s, v8.16b, v14.4b[2]
sdot v24.4s, v8.16b, v12.4b[2]
sdot v31.4s, v8.16b, v13.4b[2]
sdot v30.4s, v8.16b, v11.4b[2]
sdot v28.4s, v8.16b, v9.4b[2]
sdot v26.4s, v8.16b, v10.4b[2]
sdot v29.4s, v0.16b, v14.4b[2]
sdot v27.4s, v0.16b, v12.4b[2]
sdot v25.4s, v0.16b, v13.4b[2]
sdot v23.4s, v0.16b, v11.4b[2]
sdot v22.4s, v0.16b, v9.4b[2]
sdot v20.4s, v0.16b, v10.4b[2]
ldp q8, q0, [x11, #0x20]
sdot v19.4s, v8.16b, v14.4b[2]
sdot v18.4s, v8.16b, v12.4b[2]
sdot v17.4s, v8.16b, v13.4b[2]
sdot v16.4s, v8.16b, v11.4b[2]
sdot v6.4s, v8.16b, v9.4b[2]
sdot v4.4s, v8.16b, v10.4b[2]
sdot v7.4s, v0.16b, v14.4b[2]
sdot v5.4s, v0.16b, v12.4b[2]
sdot v3.4s, v0.16b, v13.4b[2]
sdot v2.4s, v0.16b, v11.4b[2]
sdot v15.4s, v0.16b, v9.4b[2]
sdot v1.4s, v0.16b, v10.4b[2]
ldp q8, q0, [x11, #0x80]
sdot v21.4s, v8.16b, v14.4b[3]
sdot v24.4s, v8.16b, v12.4b[3]
sdot v31.4s, v8.16b, v13.4b[3]
sdot v30.4s, v8.16b, v11.4b[3]
sdot v28.4s, v8.16b, v9.4b[3]
sdot v26.4s, v8.16b, v10.4b[3]
sdot v29.4s, v0.16b, v14.4b[3]
sdot v27.4s, v0.16b, v12.4b[3]
sdot v25.4s, v0.16b, v13.4b[3]
sdot v23.4s, v0.16b, v11.4b[3]
sdot v22.4s, v0.16b, v9.4b[3]
sdot v20.4s, v0.16b, v10.4b[3]
ldp q8, q0, [x11, #0xa0]
add x11, x11, #0x200
sdot v19.4s, v8.16b, v14.4b[3]
sdot v18.4s, v8.16b, v12.4b[3]
sdot v17.4s, v8.16b, v13.4b[3]
sdot v16.4s, v8.16b, v11.4b[3]
sdot v6.4s, v8.16b, v9.4b[3]
sdot v4.4s, v8.16b, v10.4b[3]
sdot v7.4s, v0.16b, v14.4b[3]
sdot v5.4s, v0.16b, v12.4b[3]
sdot v3.4s, v0.16b, v13.4b[3]
sdot v2.4s, v0.16b, v11.4b[3]
sdot v15.4s, v0.16b, v9.4b[3]
sdot v1.4s, v0.16b, v10.4b[3]
b.ls .Lloop

/* llvm-mca -mcpu=neoverse-v2 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      33800
Total Cycles:      7255
Total uOps:        37800

Dispatch Width:    16
uOps Per Cycle:    5.21
IPC:               4.66
Block RThroughput: 35.8


Cycles with backend pressure increase [ 35.80% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 35.80% ]
  - V2UnitL2  [ 0.03% ]
  - V2UnitL01  [ 0.03% ]
  - V2UnitV0  [ 35.80% ]
  - V2UnitV1  [ 35.80% ]
  - V2UnitV2  [ 35.80% ]
  - V2UnitV3  [ 35.80% ]
  Data Dependencies:      [ 2.87% ]
  - Register Dependencies [ 2.87% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 163.  sdot	v5.4s, v0.16b, v12.4b[3]
 |
 |    < loop carried > 
 |
 |      0.    stp	q31, q29, [sp]
 |      1.    add	x13, x12, x9
 +----> 2.    movi	v31.16b, #128                     ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 |      3.    add	x14, x13, x9
 |      4.    ldr	q9, [x13]
 |      5.    ldr	q10, [x12], #16
 |      6.    add	x13, x14, x9
 |      7.    ldr	q11, [x14]
 +----> 8.    mov	v29.16b, v28.16b                  ## RESOURCE interference:  V2UnitV3 [ probability: 24% ]
 |      9.    add	x14, x13, x9
 +----> 10.   mov	v28.16b, v27.16b                  ## RESOURCE interference:  V2UnitV3 [ probability: 50% ]
 +----> 11.   mov	v27.16b, v26.16b                  ## RESOURCE interference:  V2UnitV2 [ probability: 50% ]
 +----> 12.   mov	v26.16b, v25.16b                  ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 13.   mov	v25.16b, v24.16b                  ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 +----> 14.   mov	v24.16b, v23.16b                  ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 +----> 15.   mov	v23.16b, v22.16b                  ## RESOURCE interference:  V2UnitV1 [ probability: 49% ]
 +----> 16.   mov	v22.16b, v21.16b                  ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 17.   mov	v21.16b, v20.16b                  ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 18.   mov	v20.16b, v19.16b                  ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 19.   mov	v19.16b, v18.16b                  ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 20.   mov	v18.16b, v17.16b                  ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 21.   mov	v17.16b, v16.16b                  ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 22.   mov	v16.16b, v7.16b                   ## RESOURCE interference:  V2UnitV3 [ probability: 24% ]
 +----> 23.   mov	v7.16b, v6.16b                    ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 24.   mov	v6.16b, v5.16b                    ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 25.   mov	v5.16b, v4.16b                    ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 |      26.   ldr	q0, [x14]
 +----> 27.   mov	v4.16b, v3.16b                    ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 28.   mov	v3.16b, v2.16b                    ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 |      29.   ldur	q8, [x11, #-256]
 +----> 30.   mov	v2.16b, v15.16b                   ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 |      31.   ldr	q15, [x13]
 |      32.   eor	v14.16b, v10.16b, v31.16b
 |      33.   ldr	q10, [x14, x9]
 |      34.   eor	v12.16b, v9.16b, v31.16b
 |      35.   eor	v13.16b, v11.16b, v31.16b
 |      36.   eor	v11.16b, v15.16b, v31.16b
 |      37.   eor	v9.16b, v0.16b, v31.16b
 |      38.   sdot	v30.4s, v8.16b, v11.4b[0]
 +----> 39.   mov	v15.16b, v2.16b                   ## REGISTER dependency:  q2
 |      40.   mov	v2.16b, v3.16b
 |      41.   add	x13, x10, #8
 |      42.   mov	v3.16b, v4.16b
 |      43.   mov	v4.16b, v5.16b
 |      44.   cmp	x13, x1
 |      45.   mov	v5.16b, v6.16b
 |      46.   mov	v6.16b, v7.16b
 |      47.   add	x10, x10, #4
 |      48.   mov	v7.16b, v16.16b
 +----> 49.   mov	v16.16b, v17.16b                  ## RESOURCE interference:  V2UnitV1 [ probability: 97% ]
 +----> 50.   mov	v17.16b, v18.16b                  ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 51.   mov	v18.16b, v19.16b                  ## RESOURCE interference:  V2UnitV2 [ probability: 24% ]
 +----> 52.   mov	v19.16b, v20.16b                  ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 53.   mov	v20.16b, v21.16b                  ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 54.   mov	v21.16b, v22.16b                  ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 55.   mov	v22.16b, v23.16b                  ## RESOURCE interference:  V2UnitV1 [ probability: 24% ]
 |      56.   sdot	v21.4s, v8.16b, v14.4b[0]
 +----> 57.   mov	v23.16b, v24.16b                  ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 58.   mov	v24.16b, v25.16b                  ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 |      59.   sdot	v24.4s, v8.16b, v12.4b[0]
 +----> 60.   mov	v25.16b, v26.16b                  ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 61.   mov	v26.16b, v27.16b                  ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 62.   mov	v27.16b, v28.16b                  ## RESOURCE interference:  V2UnitV0 [ probability: 49% ]
 +----> 63.   mov	v28.16b, v29.16b                  ## RESOURCE interference:  V2UnitV3 [ probability: 49% ]
 |      64.   eor	v10.16b, v10.16b, v31.16b
 |      65.   ldp	q31, q29, [sp]
 |      66.   sdot	v28.4s, v8.16b, v9.4b[0]
 +----> 67.   sdot	v31.4s, v8.16b, v13.4b[0]         ## RESOURCE interference:  V2UnitV2 [ probability: 49% ]
 |      68.   sdot	v26.4s, v8.16b, v10.4b[0]
 |      69.   ldp	q0, q8, [x11, #-240]
 +----> 70.   sdot	v29.4s, v0.16b, v14.4b[0]         ## RESOURCE interference:  V2UnitV3 [ probability: 48% ]
 |      71.   sdot	v27.4s, v0.16b, v12.4b[0]
 |      72.   sdot	v25.4s, v0.16b, v13.4b[0]
 +----> 73.   sdot	v23.4s, v0.16b, v11.4b[0]         ## RESOURCE interference:  V2UnitV3 [ probability: 24% ]
 +----> 74.   sdot	v22.4s, v0.16b, v9.4b[0]          ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 75.   sdot	v20.4s, v0.16b, v10.4b[0]         ## RESOURCE interference:  V2UnitV0 [ probability: 24% ]
 |      76.   ldur	q0, [x11, #-208]
 +----> 77.   sdot	v19.4s, v8.16b, v14.4b[0]         ## RESOURCE interference:  V2UnitV3 [ probability: 24% ]
 +----> 78.   sdot	v18.4s, v8.16b, v12.4b[0]         ## RESOURCE interference:  V2UnitV2 [ probability: 24% ]
 +----> 79.   sdot	v17.4s, v8.16b, v13.4b[0]         ## RESOURCE interference:  V2UnitV1 [ probability: 24% ]
 +----> 80.   sdot	v16.4s, v8.16b, v11.4b[0]         ## RESOURCE interference:  V2UnitV0 [ probability: 24% ]
 +----> 81.   sdot	v6.4s, v8.16b, v9.4b[0]           ## RESOURCE interference:  V2UnitV3 [ probability: 24% ]
 +----> 82.   sdot	v4.4s, v8.16b, v10.4b[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 24% ]
 +----> 83.   sdot	v7.4s, v0.16b, v14.4b[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 24% ]
 +----> 84.   sdot	v5.4s, v0.16b, v12.4b[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 85.   sdot	v3.4s, v0.16b, v13.4b[0]          ## RESOURCE interference:  V2UnitV3 [ probability: 24% ]
 +----> 86.   sdot	v2.4s, v0.16b, v11.4b[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 24% ]
 +----> 87.   sdot	v15.4s, v0.16b, v9.4b[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 24% ]
 +----> 88.   sdot	v1.4s, v0.16b, v10.4b[0]          ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 |      89.   ldp	q8, q0, [x11, #-128]
 +----> 90.   sdot	v21.4s, v8.16b, v14.4b[1]         ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 91.   sdot	v24.4s, v8.16b, v12.4b[1]         ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 92.   sdot	v31.4s, v8.16b, v13.4b[1]         ## RESOURCE interference:  V2UnitV2 [ probability: 24% ]
 +----> 93.   sdot	v30.4s, v8.16b, v11.4b[1]         ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 94.   sdot	v28.4s, v8.16b, v9.4b[1]          ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 95.   sdot	v26.4s, v8.16b, v10.4b[1]         ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 96.   sdot	v29.4s, v0.16b, v14.4b[1]         ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 97.   sdot	v27.4s, v0.16b, v12.4b[1]         ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 98.   sdot	v25.4s, v0.16b, v13.4b[1]         ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 99.   sdot	v23.4s, v0.16b, v11.4b[1]         ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 100.  sdot	v22.4s, v0.16b, v9.4b[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 101.  sdot	v20.4s, v0.16b, v10.4b[1]         ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 |      102.  ldp	q8, q0, [x11, #-96]
 +----> 103.  sdot	v19.4s, v8.16b, v14.4b[1]         ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 104.  sdot	v18.4s, v8.16b, v12.4b[1]         ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 105.  sdot	v17.4s, v8.16b, v13.4b[1]         ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 106.  sdot	v16.4s, v8.16b, v11.4b[1]         ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 107.  sdot	v6.4s, v8.16b, v9.4b[1]           ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 108.  sdot	v4.4s, v8.16b, v10.4b[1]          ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 109.  sdot	v7.4s, v0.16b, v14.4b[1]          ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 110.  sdot	v5.4s, v0.16b, v12.4b[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 111.  sdot	v3.4s, v0.16b, v13.4b[1]          ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 112.  sdot	v2.4s, v0.16b, v11.4b[1]          ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 113.  sdot	v15.4s, v0.16b, v9.4b[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 114.  sdot	v1.4s, v0.16b, v10.4b[1]          ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 |      115.  ldp	q8, q0, [x11]
 +----> 116.  sdot	v21.4s, v8.16b, v14.4b[2]         ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 117.  sdot	v24.4s, v8.16b, v12.4b[2]         ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 118.  sdot	v31.4s, v8.16b, v13.4b[2]         ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 119.  sdot	v30.4s, v8.16b, v11.4b[2]         ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 120.  sdot	v28.4s, v8.16b, v9.4b[2]          ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 121.  sdot	v26.4s, v8.16b, v10.4b[2]         ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 122.  sdot	v29.4s, v0.16b, v14.4b[2]         ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 123.  sdot	v27.4s, v0.16b, v12.4b[2]         ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 124.  sdot	v25.4s, v0.16b, v13.4b[2]         ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 125.  sdot	v23.4s, v0.16b, v11.4b[2]         ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 126.  sdot	v22.4s, v0.16b, v9.4b[2]          ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 127.  sdot	v20.4s, v0.16b, v10.4b[2]         ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 |      128.  ldp	q8, q0, [x11, #32]
 +----> 129.  sdot	v19.4s, v8.16b, v14.4b[2]         ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 130.  sdot	v18.4s, v8.16b, v12.4b[2]         ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 131.  sdot	v17.4s, v8.16b, v13.4b[2]         ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 132.  sdot	v16.4s, v8.16b, v11.4b[2]         ## RESOURCE interference:  V2UnitV0 [ probability: 24% ]
 +----> 133.  sdot	v6.4s, v8.16b, v9.4b[2]           ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 134.  sdot	v4.4s, v8.16b, v10.4b[2]          ## RESOURCE interference:  V2UnitV2 [ probability: 24% ]
 +----> 135.  sdot	v7.4s, v0.16b, v14.4b[2]          ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 136.  sdot	v5.4s, v0.16b, v12.4b[2]          ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 137.  sdot	v3.4s, v0.16b, v13.4b[2]          ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 138.  sdot	v2.4s, v0.16b, v11.4b[2]          ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 139.  sdot	v15.4s, v0.16b, v9.4b[2]          ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 140.  sdot	v1.4s, v0.16b, v10.4b[2]          ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 |      141.  ldp	q8, q0, [x11, #128]
 +----> 142.  sdot	v21.4s, v8.16b, v14.4b[3]         ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 143.  sdot	v24.4s, v8.16b, v12.4b[3]         ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 144.  sdot	v31.4s, v8.16b, v13.4b[3]         ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 145.  sdot	v30.4s, v8.16b, v11.4b[3]         ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 146.  sdot	v28.4s, v8.16b, v9.4b[3]          ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 147.  sdot	v26.4s, v8.16b, v10.4b[3]         ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 148.  sdot	v29.4s, v0.16b, v14.4b[3]         ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 149.  sdot	v27.4s, v0.16b, v12.4b[3]         ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 150.  sdot	v25.4s, v0.16b, v13.4b[3]         ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 151.  sdot	v23.4s, v0.16b, v11.4b[3]         ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 152.  sdot	v22.4s, v0.16b, v9.4b[3]          ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 153.  sdot	v20.4s, v0.16b, v10.4b[3]         ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 |      154.  ldp	q8, q0, [x11, #160]
 |      155.  add	x11, x11, #512
 +----> 156.  sdot	v19.4s, v8.16b, v14.4b[3]         ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 157.  sdot	v18.4s, v8.16b, v12.4b[3]         ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 158.  sdot	v17.4s, v8.16b, v13.4b[3]         ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 159.  sdot	v16.4s, v8.16b, v11.4b[3]         ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 160.  sdot	v6.4s, v8.16b, v9.4b[3]           ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]
 +----> 161.  sdot	v4.4s, v8.16b, v10.4b[3]          ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 162.  sdot	v7.4s, v0.16b, v14.4b[3]          ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 163.  sdot	v5.4s, v0.16b, v12.4b[3]          ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 +----> 164.  sdot	v3.4s, v0.16b, v13.4b[3]          ## RESOURCE interference:  V2UnitV1 [ probability: 25% ]
 +----> 165.  sdot	v2.4s, v0.16b, v11.4b[3]          ## RESOURCE interference:  V2UnitV0 [ probability: 25% ]
 +----> 166.  sdot	v15.4s, v0.16b, v9.4b[3]          ## RESOURCE interference:  V2UnitV3 [ probability: 25% ]
 |      167.  sdot	v1.4s, v0.16b, v10.4b[3]
 |      168.  b.ls	.Lloop
 |
 |    < loop carried > 
 |
 +----> 2.    movi	v31.16b, #128                     ## RESOURCE interference:  V2UnitV2 [ probability: 25% ]


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
0.50   0.50    -      -     5.30   9.84   9.87   2.00   1.51   1.50   1.75   1.76   1.50   36.25  36.25  36.25  36.25
*/
/* llvm-mca -mcpu=apple-a17 -mattr=+neon,+dotprod,+i8mm,+fullfp16 -iterations=200 -bottleneck-analysis -instruction-info=0
Iterations:        200
Instructions:      33800
Total Cycles:      9539
Total uOps:        36000

Dispatch Width:    6
uOps Per Cycle:    3.77
IPC:               3.54
Block RThroughput: 47.7


Cycles with backend pressure increase [ 99.05% ]
Throughput Bottlenecks: 
  Resource Pressure       [ 99.03% ]
  - CyUnitV  [ 99.03% ]
  Data Dependencies:      [ 16.75% ]
  - Register Dependencies [ 16.75% ]
  - Memory Dependencies   [ 0.00% ]

Critical sequence based on the simulation:

              Instruction                                 Dependency Information
 +----< 164.  sdot	v3.4s, v0.16b, v13.4b[3]
 |
 |    < loop carried > 
 |
 |      0.    stp	q31, q29, [sp]
 |      1.    add	x13, x12, x9
 +----> 2.    movi	v31.16b, #128                     ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      3.    add	x14, x13, x9
 |      4.    ldr	q9, [x13]
 |      5.    ldr	q10, [x12], #16
 |      6.    add	x13, x14, x9
 |      7.    ldr	q11, [x14]
 +----> 8.    mov	v29.16b, v28.16b                  ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      9.    add	x14, x13, x9
 +----> 10.   mov	v28.16b, v27.16b                  ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 11.   mov	v27.16b, v26.16b                  ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 12.   mov	v26.16b, v25.16b                  ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 13.   mov	v25.16b, v24.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 14.   mov	v24.16b, v23.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 15.   mov	v23.16b, v22.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 16.   mov	v22.16b, v21.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 17.   mov	v21.16b, v20.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 18.   mov	v20.16b, v19.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 19.   mov	v19.16b, v18.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 20.   mov	v18.16b, v17.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 21.   mov	v17.16b, v16.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 22.   mov	v16.16b, v7.16b                   ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 23.   mov	v7.16b, v6.16b                    ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 24.   mov	v6.16b, v5.16b                    ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 25.   mov	v5.16b, v4.16b                    ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      26.   ldr	q0, [x14]
 +----> 27.   mov	v4.16b, v3.16b                    ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 28.   mov	v3.16b, v2.16b                    ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      29.   ldur	q8, [x11, #-256]
 +----> 30.   mov	v2.16b, v15.16b                   ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      31.   ldr	q15, [x13]
 +----> 32.   eor	v14.16b, v10.16b, v31.16b         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      33.   ldr	q10, [x14, x9]
 +----> 34.   eor	v12.16b, v9.16b, v31.16b          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 35.   eor	v13.16b, v11.16b, v31.16b         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 36.   eor	v11.16b, v15.16b, v31.16b         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 37.   eor	v9.16b, v0.16b, v31.16b           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      38.   sdot	v30.4s, v8.16b, v11.4b[0]
 |      39.   mov	v15.16b, v2.16b
 +----> 40.   mov	v2.16b, v3.16b                    ## RESOURCE interference:  CyUnitV [ probability: 66% ]
 |      41.   add	x13, x10, #8
 +----> 42.   mov	v3.16b, v4.16b                    ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 43.   mov	v4.16b, v5.16b                    ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      44.   cmp	x13, x1
 +----> 45.   mov	v5.16b, v6.16b                    ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 46.   mov	v6.16b, v7.16b                    ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      47.   add	x10, x10, #4
 +----> 48.   mov	v7.16b, v16.16b                   ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 49.   mov	v16.16b, v17.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 50.   mov	v17.16b, v18.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 51.   mov	v18.16b, v19.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 52.   mov	v19.16b, v20.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 53.   mov	v20.16b, v21.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 54.   mov	v21.16b, v22.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 55.   mov	v22.16b, v23.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      56.   sdot	v21.4s, v8.16b, v14.4b[0]
 +----> 57.   mov	v23.16b, v24.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 58.   mov	v24.16b, v25.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      59.   sdot	v24.4s, v8.16b, v12.4b[0]
 +----> 60.   mov	v25.16b, v26.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 61.   mov	v26.16b, v27.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 62.   mov	v27.16b, v28.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 63.   mov	v28.16b, v29.16b                  ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      64.   eor	v10.16b, v10.16b, v31.16b
 |      65.   ldp	q31, q29, [sp]
 |      66.   sdot	v28.4s, v8.16b, v9.4b[0]
 +----> 67.   sdot	v31.4s, v8.16b, v13.4b[0]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      68.   sdot	v26.4s, v8.16b, v10.4b[0]
 |      69.   ldp	q0, q8, [x11, #-240]
 +----> 70.   sdot	v29.4s, v0.16b, v14.4b[0]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      71.   sdot	v27.4s, v0.16b, v12.4b[0]
 +----> 72.   sdot	v25.4s, v0.16b, v13.4b[0]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 73.   sdot	v23.4s, v0.16b, v11.4b[0]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 74.   sdot	v22.4s, v0.16b, v9.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 75.   sdot	v20.4s, v0.16b, v10.4b[0]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      76.   ldur	q0, [x11, #-208]
 +----> 77.   sdot	v19.4s, v8.16b, v14.4b[0]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 78.   sdot	v18.4s, v8.16b, v12.4b[0]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 79.   sdot	v17.4s, v8.16b, v13.4b[0]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 80.   sdot	v16.4s, v8.16b, v11.4b[0]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 81.   sdot	v6.4s, v8.16b, v9.4b[0]           ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 82.   sdot	v4.4s, v8.16b, v10.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 83.   sdot	v7.4s, v0.16b, v14.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 84.   sdot	v5.4s, v0.16b, v12.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 85.   sdot	v3.4s, v0.16b, v13.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 86.   sdot	v2.4s, v0.16b, v11.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 87.   sdot	v15.4s, v0.16b, v9.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 88.   sdot	v1.4s, v0.16b, v10.4b[0]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      89.   ldp	q8, q0, [x11, #-128]
 +----> 90.   sdot	v21.4s, v8.16b, v14.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 91.   sdot	v24.4s, v8.16b, v12.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 92.   sdot	v31.4s, v8.16b, v13.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 93.   sdot	v30.4s, v8.16b, v11.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 94.   sdot	v28.4s, v8.16b, v9.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 95.   sdot	v26.4s, v8.16b, v10.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 96.   sdot	v29.4s, v0.16b, v14.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 97.   sdot	v27.4s, v0.16b, v12.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 98.   sdot	v25.4s, v0.16b, v13.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 99.   sdot	v23.4s, v0.16b, v11.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 100.  sdot	v22.4s, v0.16b, v9.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 101.  sdot	v20.4s, v0.16b, v10.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      102.  ldp	q8, q0, [x11, #-96]
 +----> 103.  sdot	v19.4s, v8.16b, v14.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 104.  sdot	v18.4s, v8.16b, v12.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 105.  sdot	v17.4s, v8.16b, v13.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 106.  sdot	v16.4s, v8.16b, v11.4b[1]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 107.  sdot	v6.4s, v8.16b, v9.4b[1]           ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 108.  sdot	v4.4s, v8.16b, v10.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 109.  sdot	v7.4s, v0.16b, v14.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 110.  sdot	v5.4s, v0.16b, v12.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 111.  sdot	v3.4s, v0.16b, v13.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 112.  sdot	v2.4s, v0.16b, v11.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 113.  sdot	v15.4s, v0.16b, v9.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 114.  sdot	v1.4s, v0.16b, v10.4b[1]          ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 |      115.  ldp	q8, q0, [x11]
 +----> 116.  sdot	v21.4s, v8.16b, v14.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 117.  sdot	v24.4s, v8.16b, v12.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 118.  sdot	v31.4s, v8.16b, v13.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 119.  sdot	v30.4s, v8.16b, v11.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 100% ]
 +----> 120.  sdot	v28.4s, v8.16b, v9.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 121.  sdot	v26.4s, v8.16b, v10.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 122.  sdot	v29.4s, v0.16b, v14.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 123.  sdot	v27.4s, v0.16b, v12.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 124.  sdot	v25.4s, v0.16b, v13.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 125.  sdot	v23.4s, v0.16b, v11.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 126.  sdot	v22.4s, v0.16b, v9.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 127.  sdot	v20.4s, v0.16b, v10.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      128.  ldp	q8, q0, [x11, #32]
 +----> 129.  sdot	v19.4s, v8.16b, v14.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 130.  sdot	v18.4s, v8.16b, v12.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 131.  sdot	v17.4s, v8.16b, v13.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 132.  sdot	v16.4s, v8.16b, v11.4b[2]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 133.  sdot	v6.4s, v8.16b, v9.4b[2]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 134.  sdot	v4.4s, v8.16b, v10.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 135.  sdot	v7.4s, v0.16b, v14.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 136.  sdot	v5.4s, v0.16b, v12.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 137.  sdot	v3.4s, v0.16b, v13.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 138.  sdot	v2.4s, v0.16b, v11.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 139.  sdot	v15.4s, v0.16b, v9.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 140.  sdot	v1.4s, v0.16b, v10.4b[2]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      141.  ldp	q8, q0, [x11, #128]
 +----> 142.  sdot	v21.4s, v8.16b, v14.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 143.  sdot	v24.4s, v8.16b, v12.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 144.  sdot	v31.4s, v8.16b, v13.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 145.  sdot	v30.4s, v8.16b, v11.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 146.  sdot	v28.4s, v8.16b, v9.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 33% ]
 +----> 147.  sdot	v26.4s, v8.16b, v10.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 148.  sdot	v29.4s, v0.16b, v14.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 149.  sdot	v27.4s, v0.16b, v12.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 150.  sdot	v25.4s, v0.16b, v13.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 151.  sdot	v23.4s, v0.16b, v11.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 152.  sdot	v22.4s, v0.16b, v9.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 153.  sdot	v20.4s, v0.16b, v10.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      154.  ldp	q8, q0, [x11, #160]
 |      155.  add	x11, x11, #512
 +----> 156.  sdot	v19.4s, v8.16b, v14.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 157.  sdot	v18.4s, v8.16b, v12.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 158.  sdot	v17.4s, v8.16b, v13.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 159.  sdot	v16.4s, v8.16b, v11.4b[3]         ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 160.  sdot	v6.4s, v8.16b, v9.4b[3]           ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 161.  sdot	v4.4s, v8.16b, v10.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 162.  sdot	v7.4s, v0.16b, v14.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 163.  sdot	v5.4s, v0.16b, v12.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 164.  sdot	v3.4s, v0.16b, v13.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 165.  sdot	v2.4s, v0.16b, v11.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 +----> 166.  sdot	v15.4s, v0.16b, v9.4b[3]          ## RESOURCE interference:  CyUnitV [ probability: 99% ]
 |      167.  sdot	v1.4s, v0.16b, v10.4b[3]
 |      168.  b.ls	.Lloop
 |
 |    < loop carried > 
 |
 +----> 2.    movi	v31.16b, #128                     ## RESOURCE interference:  CyUnitV [ probability: 99% ]


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
0.50   0.50    -      -      -     4.00   4.00   4.00   4.00    -      -     6.00   5.00    -     8.99   9.01   47.67  47.67  47.67   -      -      -      -
*/
