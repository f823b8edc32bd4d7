/*
 * cpuid_cap: run a program as it runs on an x86-64 CPU with fewer instruction-set extensions
 * than this one, by hiding the others from the CPUID instruction.
 *
 * Load it with LD_PRELOAD and name the cap in CPUID_CAP:
 *   avxvnni  no AVX-512 (any subset), AMX or AVX-512 BF16/FP16: an Intel client CPU since
 *            Alder Lake, or an Intel E-core Xeon;
 *   avx2     as avxvnni, and no AVX-VNNI, AVX-VNNI-INT8/INT16, AVX-IFMA or AVX-NE-CONVERT:
 *            an AMD CPU before Zen 4, or an Intel client CPU before Alder Lake;
 *   sse      as avx2, and no AVX, AVX2, FMA or F16C: the x86-64 baseline with SSE up to 4.2.
 *
 * How: Linux's arch_prctl(ARCH_SET_CPUID, 0) makes CPUID fault (SIGSEGV) in this process where
 * the CPU supports CPUID faulting (the `cpuid_fault` flag of /proc/cpuinfo). The SIGSEGV handler
 * runs the real CPUID with faulting switched off for that one instruction, clears the hidden
 * bits from the leaf it returns, writes the registers back and steps over the instruction.
 * Libraries that pick their kernels by CPUID at run time (onnxruntime's MLAS, numpy, Rust's
 * `is_x86_feature_detected!`) then pick what they would pick on the capped CPU. The hardware
 * underneath is unchanged: the timings are this machine's, with the capped kernels.
 *
 * When it cannot cap (an unknown cap, or no CPUID faulting), it prints why and exits with 3
 * before the program starts, so that nothing ever runs uncapped while claiming the cap. When it
 * has capped, it sets CPUID_CAP_ACTIVE to the cap, for the program to report.
 *
 * The bits cleared are those of the Intel SDM's CPUID leaves 1 and 7 (sub-leaves 0 and 1).
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define BIT(n) (1u << (n))

enum cap { CAP_AVXVNNI = 1, CAP_AVX2 = 2, CAP_SSE = 3 };

static enum cap cap;
static struct sigaction previous;

/* Leaf 1, ECX: FMA (12), AVX (28), F16C (29). */
static const unsigned AVX_1_ECX = BIT(12) | BIT(28) | BIT(29);
/* Leaf 7.0, EBX: AVX2 (5). */
static const unsigned AVX2_7_EBX = BIT(5);
/* Leaf 7.0, EBX: AVX-512 F (16), DQ (17), IFMA (21), PF (26), ER (27), CD (28), BW (30), VL (31). */
static const unsigned AVX512_7_EBX = BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31);
/* Leaf 7.0, ECX: AVX-512 VBMI (1), VBMI2 (6), VNNI (11), BITALG (12), VPOPCNTDQ (14). */
static const unsigned AVX512_7_ECX = BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14);
/* Leaf 7.0, EDX: AVX-512 4VNNIW (2), 4FMAPS (3), VP2INTERSECT (8), AMX-BF16 (22), FP16 (23),
 * AMX-TILE (24), AMX-INT8 (25). */
static const unsigned AVX512_7_EDX = BIT(2) | BIT(3) | BIT(8) | BIT(22) | BIT(23) | BIT(24) | BIT(25);
/* Leaf 7.1, EAX: AVX-512 BF16 (5). */
static const unsigned AVX512_71_EAX = BIT(5);
/* Leaf 7.1, EAX: AVX-VNNI (4), AVX-IFMA (23); EDX: AVX-VNNI-INT8 (4), AVX-NE-CONVERT (5),
 * AVX-VNNI-INT16 (10). */
static const unsigned VNNI_71_EAX = BIT(4) | BIT(23);
static const unsigned VNNI_71_EDX = BIT(4) | BIT(5) | BIT(10);

/* The real CPUID, with faulting switched off for this thread around it. */
static void real_cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
}

/* Clears the bits the cap hides from leaf `leaf`, sub-leaf `sub` (EAX, EBX, ECX, EDX in r). */
static void hide(unsigned leaf, unsigned sub, unsigned r[4]) {
    if (leaf == 1 && cap >= CAP_SSE) {
        r[2] &= ~AVX_1_ECX;
    } else if (leaf == 7 && sub == 0) {
        r[1] &= ~AVX512_7_EBX;
        r[2] &= ~AVX512_7_ECX;
        r[3] &= ~AVX512_7_EDX;
        if (cap >= CAP_SSE) r[1] &= ~AVX2_7_EBX;
    } else if (leaf == 7 && sub == 1) {
        r[0] &= ~AVX512_71_EAX;
        if (cap >= CAP_AVX2) {
            r[0] &= ~VNNI_71_EAX;
            r[3] &= ~VNNI_71_EDX;
        }
    }
}

static void on_segv(int sig, siginfo_t *info, void *context) {
    ucontext_t *uc = context;
    greg_t *g = uc->uc_mcontext.gregs;
    const unsigned char *ip = (const unsigned char *)g[REG_RIP];
    if (ip[0] != 0x0f || ip[1] != 0xa2) {
        /* Not CPUID: the program's own fault. Give it to the handler that was there before
         * (the default ends the process), by returning to the faulting instruction. */
        sigaction(SIGSEGV, &previous, NULL);
        (void)sig;
        (void)info;
        return;
    }
    unsigned leaf = (unsigned)g[REG_RAX], sub = (unsigned)g[REG_RCX], r[4];
    real_cpuid(leaf, sub, r);
    hide(leaf, sub, r);
    g[REG_RAX] = r[0];
    g[REG_RBX] = r[1];
    g[REG_RCX] = r[2];
    g[REG_RDX] = r[3];
    g[REG_RIP] += 2;
}

__attribute__((constructor)) static void cpuid_cap_init(void) {
    const char *name = getenv("CPUID_CAP");
    if (name == NULL || *name == '\0') return;
    if (strcmp(name, "avxvnni") == 0) {
        cap = CAP_AVXVNNI;
    } else if (strcmp(name, "avx2") == 0) {
        cap = CAP_AVX2;
    } else if (strcmp(name, "sse") == 0) {
        cap = CAP_SSE;
    } else {
        fprintf(stderr, "cpuid_cap: unknown CPUID_CAP '%s' (avxvnni, avx2 or sse)\n", name);
        _exit(3);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &previous) != 0 || syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0) {
        perror("cpuid_cap: CPUID faulting is not available (arch_prctl ARCH_SET_CPUID)");
        _exit(3);
    }
    setenv("CPUID_CAP_ACTIVE", name, 1);
}
