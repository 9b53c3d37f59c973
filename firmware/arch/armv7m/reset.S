/* M-profile reset handler (vector 1 of vectors.cpp), shared by the ARMv7E-M
 * (Cortex-M7) and ARMv8.1-M (Cortex-M55) boards. The core has loaded MSP
 * from vector 0 and runs privileged Thread mode (on v8-M in the Secure state
 * QEMU and the real parts start in). No stack is used before sp is set. */
    .syntax unified
    .thumb
    .section .text.reset, "ax"
    .global armv7m_reset
    .type armv7m_reset, %function
armv7m_reset:
    /* FPU (and on v8.1-M the MVE/Helium unit, which shares CP10/CP11): full
     * access in CPACR before any C code runs. newlib's hard-float memcpy and
     * the compiler's own code may use the FP registers. */
    ldr     r0, =0xE000ED88         /* CPACR */
    ldr     r1, [r0]
    orr     r1, r1, #(0xF << 20)    /* CP10, CP11: full access */
    str     r1, [r0]
    dsb
    isb
    ldr     r0, =__stack            /* as vector 0 says; again, for a debugger's load-and-jump */
    mov     sp, r0
#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
    /* v8-M stack limit: a push below the stack's bottom is a UsageFault
     * (STKOF) instead of silent corruption of .bss. */
    ldr     r0, =__stack_bottom
    msr     msplim, r0
#endif
    /* Round to nearest, no flush-to-zero, no default NaN (AHP, DN, FZ,
     * RMode, FZ16 clear) and no sticky flags: the front-end builds its tables
     * with doubles and must round as on the host. Read-modify-write: on
     * v8.1-M with MVE, FPSCR also holds LTPSIZE (bits 18:16), which must stay
     * 4 (no tail predication) or every LE loop end faults (INVSTATE). */
    vmrs    r0, fpscr
    ldr     r1, =0x07C8009F
    bic     r0, r0, r1
    vmsr    fpscr, r0
    b       armv7m_start            /* start.cpp: .data, .bss, VTOR, faults, caches, main */
    .size armv7m_reset, . - armv7m_reset
    .ltorg

/* Every fault and unexpected exception (vectors.cpp) comes here: find the
 * stacked frame (MSP or PSP, from EXC_RETURN bit 2), switch to the fault
 * stack (the fault may be a broken stack) and report (fault.cpp). */
    .section .text.armv7m_fault_entry, "ax"
    .global armv7m_fault_entry
    .type armv7m_fault_entry, %function
armv7m_fault_entry:
    tst     lr, #4
    ite     eq
    mrseq   r0, msp
    mrsne   r0, psp
    mrs     r1, ipsr
    mov     r2, lr
#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
    movs    r3, #0
    msr     msplim, r3              /* the fault stack lies above the main stack's limit anyway */
#endif
    ldr     r3, =__fault_stack_top
    mov     sp, r3
    b       armv7m_fault
    .size armv7m_fault_entry, . - armv7m_fault_entry
    .ltorg
