# The guest Nimbus boots to learn whether KVM runs guests on this host: a
# boot sector that does what a kernel does first (real mode to protected
# mode to long mode with paging), says so on the first serial port, counts
# down from 200,000,000 and says so again. A working KVM counts in well under
# a second; on hosts where /dev/kvm opens but guests crash or crawl (each
# instruction trapping), the guest dies or the count never ends in time.
# Build with scripts/kvm-probe/build, which prints the bytes for
# Sources/QEMU/ProbeGuest.swift.
        .code16
        .text
        .globl start
start:
        cli
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x7c00, %sp
        inb     $0x92, %al              # A20 on (fast gate)
        orb     $2, %al
        outb    %al, $0x92
        lgdtl   gdtr
        mov     %cr0, %eax
        orl     $1, %eax
        mov     %eax, %cr0
        ljmpl   $0x08, $protected

        .code32
protected:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x1000, %edi           # page tables at 0x1000 (PML4), 0x2000 (PDPT), 0x3000 (PD)
        xor     %eax, %eax
        mov     $3072, %ecx
        rep stosl
        movl    $0x2003, 0x1000
        movl    $0x3003, 0x2000
        movl    $0x83, 0x3000           # the first 2 MiB, identity mapped
        mov     $0x1000, %eax
        mov     %eax, %cr3
        mov     %cr4, %eax
        orl     $0x20, %eax             # PAE
        mov     %eax, %cr4
        mov     $0xc0000080, %ecx       # EFER.LME
        rdmsr
        orl     $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        orl     $0x80000000, %eax       # paging on: long mode
        mov     %eax, %cr0
        ljmpl   $0x18, $long

        .code64
long:
        mov     $0x7c00, %rsp
        lea     arrived(%rip), %rsi
        call    print
        mov     $1000000000, %ecx
count:
        dec     %ecx
        jnz     count
        lea     counted(%rip), %rsi
        call    print
halt:
        hlt
        jmp     halt

print:                                  # the NUL-terminated text at %rsi, to COM1
        mov     $0x3f8, %dx
1:      lodsb
        test    %al, %al
        jz      2f
        outb    %al, %dx
        jmp     1b
2:      ret

arrived:
        .asciz  "NIMBUS-PROBE-LONG-MODE\n"
counted:
        .asciz  "NIMBUS-PROBE-COUNTED\n"
        .p2align 3
gdt:
        .quad   0
        .quad   0x00cf9a000000ffff      # 0x08: 32-bit code
        .quad   0x00cf92000000ffff      # 0x10: data
        .quad   0x00209a0000000000      # 0x18: 64-bit code
gdtr:
        .word   gdtr - gdt - 1
        .long   gdt
