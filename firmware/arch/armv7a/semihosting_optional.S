/* Semihosting without a host: for boards whose image must run both under QEMU
 * (or a debugger), which intercepts semihosting calls, and on its own (a real
 * Raspberry Pi). Linked by such a board, this strong armv7a_svc_entry replaces
 * the weak one in vectors.S.
 *
 * When nothing intercepts a semihosting call it becomes a real SVC exception.
 * If the trapped instruction is a semihosting call (ARM `svc 0x123456`, Thumb
 * `svc 0xab`), return to the instruction after it with r0 = -1 (the
 * semihosting failure value) and set armv7a_semihosting_absent, so the caller
 * sees "no host" and can carry on (no arguments, exit status on the console).
 * Any other SVC is a fault as before.
 *
 * Uses only r0 and lr, which the caller gives up anyway (r0 is the call's
 * result, lr is declared clobbered in semihosting.cpp: the exception is taken
 * in SVC mode, the firmware's own mode); `movs pc, lr` restores the caller's
 * CPSR, flags included, from SPSR_svc. No stack is touched. */
    .syntax unified
    .arm
    .section .text.armv7a_svc_entry, "ax"
    .global armv7a_svc_entry
    .type armv7a_svc_entry, %function
armv7a_svc_entry:
    mrs     r0, spsr
    tst     r0, #(1 << 5)           /* SPSR.T: the SVC was a Thumb instruction */
    bne     1f
    ldr     r0, [lr, #-4]           /* ARM: cond 1111 imm24 */
    bic     r0, r0, #0xf0000000     /* any condition */
    sub     r0, r0, #0x0f000000     /* SVC opcode bits [27:24] */
    sub     r0, r0, #0x00120000     /* 0x123456 in three encodable steps */
    sub     r0, r0, #0x00003400
    subs    r0, r0, #0x00000056
    bne     armv7a_svc_fault
    b       2f
1:  ldrh    r0, [lr, #-2]           /* Thumb: 0xdfab = svc 0xab */
    sub     r0, r0, #0xdf00
    subs    r0, r0, #0x00ab
    bne     armv7a_svc_fault
2:  ldr     r0, =armv7a_semihosting_absent
    str     r0, [r0]                /* any non-zero value: its own address */
    mvn     r0, #0                  /* r0 = -1: the call failed */
    movs    pc, lr
    .ltorg
    .size armv7a_svc_entry, . - armv7a_svc_entry
