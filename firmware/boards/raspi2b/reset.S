/* Raspberry Pi 2 (BCM2836, 4x Cortex-A7) reset shim: the ELF entry point and
 * the first word of kernel7.img, which the Pi's boot loader puts at 0x8000.
 *
 * Entry state differs between the real board and QEMU:
 * - QEMU -M raspi2b -kernel X.elf starts all four cores here, in Secure SVC
 *   mode, MMU and caches off.
 * - A real Pi 2: the GPU firmware's ARM stub parks cores 1-3 itself (they
 *   poll their mailboxes) and enters kernel7.img on core 0, in Non-secure
 *   HYP mode with current firmware (SVC with old firmware or its own stub
 *   disabled: handled too). r0 = 0, r1 = machine type, r2 = ATAGs/device
 *   tree: all unused.
 * So: park any core but core 0, leave HYP for SVC if we are in it, then the
 * common ARMv7-A set-up, the MMU and caches, and newlib's crt0. */
    .syntax unified
    .arm
    .arch_extension virt
    .arch_extension sec

    .equ MODE_SVC, 0x13
    .equ MODE_HYP, 0x1a
    .equ MODE_MASK, 0x1f
    .equ MASK_AIF, 0x1c0            /* CPSR A, I, F: asynchronous aborts, IRQ, FIQ */

    .section .text.reset, "ax"
    .global _reset
    .type _reset, %function
_reset:
    /* Cores 1-3 (MPIDR Aff0 != 0) stop here for good. WFI rather than WFE:
     * QEMU implements WFE as a yield, so a WFE loop keeps host threads busy
     * for as long as QEMU runs (measured: ~2 host CPUs); WFI halts the
     * emulated core until an interrupt, and none is ever enabled. */
    mrc     p15, 0, r0, c0, c0, 5   /* MPIDR */
    ands    r0, r0, #0xff
    bne     park

    /* HYP (real board) -> SVC. First make sure nothing traps to HYP once we
     * leave it, as there is no HYP vector table: no CP10/CP11 (VFP, NEON),
     * CP14 or CP15 traps, no virtualisation, and all PMU counters and their
     * control registers usable from PL1. */
    mrs     r0, cpsr
    and     r1, r0, #MODE_MASK
    cmp     r1, #MODE_HYP
    bne     1f
    mov     r1, #0
    mcr     p15, 4, r1, c1, c1, 0   /* HCR = 0 */
    mcr     p15, 4, r1, c1, c1, 3   /* HSTR = 0 */
    mrc     p15, 4, r1, c1, c1, 2   /* HCPTR: clear TCP10, TCP11, TASE, TTA, TCPAC */
    bic     r1, r1, #(3 << 10)
    bic     r1, r1, #(1 << 15)
    bic     r1, r1, #(1 << 20)
    bic     r1, r1, #(1 << 31)
    mcr     p15, 4, r1, c1, c1, 2
    mrc     p15, 0, r1, c9, c12, 0  /* PMCR.N: the number of event counters */
    ubfx    r1, r1, #11, #5
    mcr     p15, 4, r1, c1, c1, 1   /* HDCR: HPMN = N, no PMU/debug traps */
    bic     r0, r0, #MODE_MASK
    orr     r0, r0, #MODE_SVC
    orr     r0, r0, #MASK_AIF
    msr     spsr_cxsf, r0           /* SPSR_hyp (the banked form `msr spsr_hyp`
                                       is only allowed from Monitor mode and
                                       is UNDEFINED here) */
    adr     r1, 1f
    msr     elr_hyp, r1
    isb
    eret
1:
    cpsid   aif
    bl      armv7a_cpu_init         /* VBAR, NEON/VFP on, FPSCR = 0; no stack used */
    ldr     sp, =__stack            /* a stack for the C++ below (crt0 sets its own) */
    bl      raspi2b_early_init      /* MMU flat map + caches (board.cpp) */
    b       _start                  /* newlib crt0 (Thumb; ld adds the veneer):
                                       stacks from __stack, clear .bss,
                                       constructors, main, exit */
park:
    wfi
    b       park
    .ltorg
    .size _reset, . - _reset
