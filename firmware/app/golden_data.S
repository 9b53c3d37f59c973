/* Embeds tests/golden/<name>.pcm and .feat in the image at build time. CMake
 * puts tests/golden on the assembler's include path (-Wa,-I), so nothing
 * generated is committed. One `golden` line per name in
 * tests/golden/golden_list.h, in the same order: the app compares the two
 * lists at start and refuses to run if they differ. */
    .macro golden name
    .pushsection .rodata.golden.\name, "a"
    .balign 8
.Lpcm_\name:
    .incbin "\name\().pcm"
.Lpcm_end_\name:
    .balign 8
.Lfeat_\name:
    .incbin "\name\().feat"
.Lfeat_end_\name:
.Lname_\name:
    .asciz "\name"
    .popsection
    /* a GoldenBlob (golden_data.h) */
    .word .Lname_\name
    .word .Lpcm_\name, .Lpcm_end_\name - .Lpcm_\name
    .word .Lfeat_\name, .Lfeat_end_\name - .Lfeat_\name
    .endm

    .section .rodata.earshot_golden_blobs, "a"
    .balign 4
    .global earshot_golden_blobs
earshot_golden_blobs:
    golden speech
    golden chirp
    golden square
    golden noise
    golden quiet
.Lblobs_end:
    .global earshot_golden_count
earshot_golden_count:
    .word (.Lblobs_end - earshot_golden_blobs) / 20
