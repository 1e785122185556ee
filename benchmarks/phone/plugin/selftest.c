/*
 * A check of insn_count against instructions counted by hand: between two markers (HINT #127)
 * a loop runs ITER times over a body of 8 instructions (1 FMLA by element, 1 SDOT, 1 SMMLA, 1
 * FMLA .8h, 1 LDR q, 1 ADD, 1 SUBS, 1 B.NE), then the second marker: the interval must hold
 * 8 * ITER instructions plus the loop's set-up, of which each class exactly ITER. run.sh builds it
 * with aarch64-linux-gnu-gcc and checks the plugin's output with check_selftest.py.
 */
#define ITER 100000

int main(void)
{
    static float buf[4] = {1, 2, 3, 4};
    long n = ITER;
    const float *p = buf;
    __asm__ volatile(
        "hint #127\n"
        "1:\n"
        "fmla v0.4s, v1.4s, v2.s[0]\n"
        "sdot v3.4s, v4.16b, v5.4b[1]\n"
        "smmla v6.4s, v7.16b, v8.16b\n"
        "fmla v9.8h, v10.8h, v11.h[2]\n"
        "ldr q12, [%1]\n"
        "add x9, x9, #1\n"
        "subs %0, %0, #1\n"
        "b.ne 1b\n"
        "hint #127\n"
        : "+r"(n)
        : "r"(p)
        : "x9", "v0", "v3", "v6", "v9", "v12", "cc", "memory");
    return 0;
}
