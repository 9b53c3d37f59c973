/* QEMU virt reset shim: the ELF entry point (link.ld), entered in SVC mode
 * with the MMU and caches off and IRQ/FIQ masked. Only one core runs here
 * (the tests start -smp 1); a multi-core board parks the others first. */
    .syntax unified
    .arm
    .section .text.reset, "ax"
    .global _reset
    .type _reset, %function
_reset:
    bl      armv7a_cpu_init     /* VBAR, NEON/VFP on, FPSCR = 0; no stack used */
    b       _start              /* newlib crt0 (Thumb; ld adds the veneer):
                                   stacks from __stack, clear .bss,
                                   constructors, main, exit */
    .size _reset, . - _reset
