/* CPU set-up every ARMv7-A board needs before any C code runs. Called by the
 * board's reset shim with no stack: a leaf that touches only r0.
 *
 * Why before C: newlib's memset in the hard-float NEON multilib uses NEON and
 * newlib's start-up calls it to clear .bss; with the FPU off that is an
 * undefined-instruction trap, and with no vector table a silent hang. */
    .syntax unified
    .arm
    .section .text.armv7a_cpu_init, "ax"
    .global armv7a_cpu_init
    .type armv7a_cpu_init, %function
armv7a_cpu_init:
    /* Exceptions through our table (VBAR), taken in ARM state (our handlers
     * are ARM code), low vectors so VBAR is used at all: SCTLR.TE = SCTLR.V = 0. */
    mrc     p15, 0, r0, c1, c0, 0
    bic     r0, r0, #(1 << 30)
    bic     r0, r0, #(1 << 13)
    mcr     p15, 0, r0, c1, c0, 0
    ldr     r0, =armv7a_vectors
    mcr     p15, 0, r0, c12, c0, 0
    isb

    /* CPACR: full access to cp10/cp11 (VFP and NEON), and ASEDIS/D32DIS clear
     * so all of Advanced SIMD and d16-d31 are usable. */
    mrc     p15, 0, r0, c1, c0, 2
    orr     r0, r0, #(0xf << 20)
    bic     r0, r0, #(3 << 30)
    mcr     p15, 0, r0, c1, c0, 2
    isb
    mov     r0, #(1 << 30)          /* FPEXC.EN */
    vmsr    fpexc, r0

    /* FPSCR = 0: round to nearest, no flush-to-zero, no default NaN. The
     * front-end builds its tables with double arithmetic and they must round
     * exactly as on the host. (NEON float ops always flush to zero whatever
     * FPSCR says; GCC never vectorises float onto them without -ffast-math.) */
    mov     r0, #0
    vmsr    fpscr, r0
    bx      lr
    .ltorg
    .size armv7a_cpu_init, . - armv7a_cpu_init
