/*
 * insn_count: a QEMU TCG plugin that counts the guest instructions an aarch64 program executes,
 * per translation block (TB), split into intervals by a marker instruction.
 *
 * Every TB gets one inline 64-bit counter (an add emitted into the translated code, no helper
 * call), so counting costs little; the instructions of a TB and their classes are decoded once,
 * at translation. When the guest executes the marker `HINT #127` (a NOP on real cores; see
 * sdk/examples/phone_frames.rs) the plugin writes every TB executed since the previous marker
 * with its count, then zeroes the counters: interval 0 is start-up, 1 .. N the frames, the last
 * one what follows the final marker (written at exit).
 *
 * Output (argument outfile=PATH, default insn_count.tsv), tab-separated:
 *   classes <names...>                     the instruction classes counted per block
 *   start_code <hex>                       the guest address of the program's code (load bias)
 *   interval <k>                           then, per TB executed in interval k:
 *   <vaddr hex> <insns> <execs> <class counts...> <symbol or ->
 * Class names are in the `classes` header line.
 *
 * Caveat: the inline adds are not atomic. With one worker thread (RAYON_NUM_THREADS=1) two
 * threads rarely run the same TB at once, so lost increments are negligible, not impossible.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

enum {
    C_FMLA_F32_ELEM, /* FMLA by element, single/double */
    C_FMLA_F32_VEC,  /* FMLA vector, single/double */
    C_FMLA_F16,      /* FMLA .8h/.4h, vector or by element */
    C_SDOT,          /* SDOT/UDOT vector or by element */
    C_SMMLA,         /* SMMLA/UMMLA/USMMLA */
    C_LDST_SIMD,     /* loads and stores of SIMD&FP registers */
    C_LDST_GPR,      /* other loads and stores */
    C_SIMD_OTHER,    /* every other SIMD&FP data-processing instruction */
    C_BRANCH,        /* branches, exception generation, system (incl. hints) */
    C_OTHER,         /* integer data processing */
    NCLS
};
static const char *const CLASS_NAMES[NCLS] = {
    "fmla_f32_elem", "fmla_f32_vec", "fmla_f16", "sdot", "smmla",
    "ldst_simd", "ldst_gpr", "simd_other", "branch_sys", "int_other",
};

#define MARKER 0xD5032FFFu /* HINT #127 */

struct tb_rec {
    uint64_t exec; /* incremented by the translated code */
    uint64_t vaddr;
    uint32_t n;
    uint16_t cls[NCLS];
    char *sym;
    struct tb_rec *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tb_rec *tbs;
static FILE *out;
static unsigned interval;

static int classify(uint32_t i)
{
    if ((i & 0xBF80F400u) == 0x0F801000u) return C_FMLA_F32_ELEM;
    if ((i & 0xBFA0FC00u) == 0x0E20CC00u) return C_FMLA_F32_VEC;
    if ((i & 0xBFC0F400u) == 0x0F001000u || (i & 0xBFE0FC00u) == 0x0E400C00u) return C_FMLA_F16;
    if ((i & 0xBFC0F400u) == 0x2F80E000u || (i & 0xBFC0F400u) == 0x0F80E000u) return C_SDOT;   /* by element */
    if ((i & 0x9FE0FC00u) == 0x0E809400u) return C_SDOT;                                        /* vector */
    if ((i & 0xDFE0FC00u) == 0x4E80A400u || (i & 0xFFE0FC00u) == 0x4E80AC00u) return C_SMMLA;
    if ((i & 0x0A000000u) == 0x08000000u) return (i & 0x04000000u) ? C_LDST_SIMD : C_LDST_GPR;
    if ((i & 0x0E000000u) == 0x0E000000u) return C_SIMD_OTHER;
    if ((i & 0x1C000000u) == 0x14000000u) return C_BRANCH;
    return C_OTHER;
}

/* Writes and zeroes the counters of interval `interval`. Caller holds `lock`. */
static void flush_interval(void)
{
    /* Known only once the program is loaded (qemu crashes when asked at install). */
    if (interval == 0) fprintf(out, "start_code\t%" PRIx64 "\n", qemu_plugin_start_code());
    fprintf(out, "interval\t%u\n", interval);
    for (struct tb_rec *t = tbs; t; t = t->next) {
        uint64_t e = t->exec;
        if (!e) continue;
        t->exec = 0;
        fprintf(out, "%" PRIx64 "\t%u\t%" PRIu64, t->vaddr, t->n, e);
        for (int c = 0; c < NCLS; c++) fprintf(out, "\t%u", t->cls[c]);
        fprintf(out, "\t%s\n", t->sym ? t->sym : "-");
    }
    interval++;
}

/* The marker's block was counted when it started, before this callback: its current execution
 * (the marker and what follows it in the block) belongs to the interval the marker opens. The few
 * instructions before the marker in the same block move with it. */
static void on_marker(unsigned int vcpu, void *udata)
{
    struct tb_rec *t = udata;
    (void)vcpu;
    pthread_mutex_lock(&lock);
    t->exec--;
    flush_interval();
    t->exec++;
    pthread_mutex_unlock(&lock);
}

static void on_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    struct tb_rec *t = calloc(1, sizeof *t);
    t->vaddr = qemu_plugin_tb_vaddr(tb);
    t->n = (uint32_t)qemu_plugin_tb_n_insns(tb);
    for (size_t k = 0; k < t->n; k++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, k);
        uint32_t word = 0;
        if (qemu_plugin_insn_size(insn) == 4) memcpy(&word, qemu_plugin_insn_data(insn), 4);
        t->cls[classify(word)]++;
        if (word == MARKER) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS, t);
        if (k == 0) {
            const char *s = qemu_plugin_insn_symbol(insn);
            if (s) t->sym = strdup(s);
        }
    }
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &t->exec, 1);
    pthread_mutex_lock(&lock);
    t->next = tbs;
    tbs = t;
    pthread_mutex_unlock(&lock);
}

static void on_exit_(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    pthread_mutex_lock(&lock);
    flush_interval();
    fclose(out);
    pthread_mutex_unlock(&lock);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    const char *path = "insn_count.tsv";
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "outfile=", 8) == 0) path = argv[i] + 8;
        else {
            fprintf(stderr, "insn_count: unknown argument %s (expected outfile=PATH)\n", argv[i]);
            return -1;
        }
    }
    if (info->system_emulation || strcmp(info->target_name, "aarch64") != 0) {
        fprintf(stderr, "insn_count: aarch64 user-mode emulation only (got %s)\n", info->target_name);
        return -1;
    }
    out = fopen(path, "w");
    if (!out) {
        perror(path);
        return -1;
    }
    fprintf(out, "classes");
    for (int c = 0; c < NCLS; c++) fprintf(out, "\t%s", CLASS_NAMES[c]);
    fprintf(out, "\n");
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
    qemu_plugin_register_atexit_cb(id, on_exit_, NULL);
    return 0;
}
