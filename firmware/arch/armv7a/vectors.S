/* Exception vector table (installed in VBAR by armv7a_cpu_init). The firmware
 * runs with IRQ/FIQ masked and never uses SVC itself (semihosting calls are
 * intercepted by QEMU or a debugger before they become exceptions), so every
 * entry is a fatal error: report it on the console and exit non-zero.
 *
 * One exception: the SVC entry goes through the weak symbol armv7a_svc_entry.
 * A board that must also run without a semihosting host (a real Raspberry Pi)
 * links semihosting_optional.S, whose strong armv7a_svc_entry makes a trapped
 * semihosting call fail softly and sends any other SVC here, to
 * armv7a_svc_fault. Without it (virt) a trapped semihosting call is a fault.
 *
 * Each stub switches to a dedicated fault stack (linker symbol
 * __fault_stack_top): the fault may have been caused by a broken stack, and
 * the exception mode's own stack may not be set up yet. */
    .syntax unified
    .arm

    .section .text.armv7a_vectors, "ax"
    .balign 32                      /* VBAR bits [4:0] are zero */
    .global armv7a_vectors
armv7a_vectors:
    b       stub_reset
    b       stub_undef
    b       armv7a_svc_entry      /* weak: stub_svc unless a board overrides it */
    b       stub_pabort
    b       stub_dabort
    b       stub_hyp
    b       stub_irq
    b       stub_fiq

/* r0 = vector index (its offset / 4, see fault.cpp), r1 = the exception
 * mode's lr, r2 = its spsr (state of the interrupted code). */
    .macro stub name, index
stub_\name:
    ldr     sp, =__fault_stack_top
    mov     r0, #\index
    mov     r1, lr
    mrs     r2, spsr
    b       armv7a_fault
    .endm

    stub reset, 0
    stub undef, 1
    .global armv7a_svc_fault
    .weak armv7a_svc_entry
armv7a_svc_fault:
armv7a_svc_entry:
    stub svc, 2
    stub pabort, 3
    stub dabort, 4
    stub hyp, 5
    stub irq, 6
    stub fiq, 7
    .ltorg
