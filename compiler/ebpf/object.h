// An eBPF program as an ELF relocatable object, the form that
// `ip link set dev X xdp obj F sec xdp`, `bpftool prog load F PIN` and
// libbpf's bpf_object__open_file() load.
//
// Takes a wire Program (codegen.h) and produces the bytes of an ELF64
// little-endian ET_REL object for EM_BPF holding:
//   [0] the null section
//   [1] .strtab    SHT_STRTAB: the section names and the symbol names
//   [2] <section>  SHT_PROGBITS, alloc + exec: the instructions (libbpf
//                  derives the program type from this name: "xdp")
//   [3] license    SHT_PROGBITS, alloc + write: the license string and its NUL
//   [4] .symtab    the null symbol, then two global symbols:
//                  <function> (STT_FUNC, the whole program section: libbpf
//                  loads global functions of a program section as programs
//                  and names them after the symbol) and _license (STT_OBJECT)
// The layout is fixed (the ELF header; the contents of sections 2, 3, 4 and
// 1, each at its alignment; the section header table), so the same program
// always gives the same bytes.
//
// Deliberately does not: emit BTF (libbpf and the kernel load a program
// without maps or global functions without it), relocations, maps or more
// than one program. Written by hand from <elf.h>'s structures rather than
// with libelf: five fixed sections are a few dozen lines, the result is
// byte-for-byte predictable in tests, and the compiler library links no
// further library. The readers (libbpf, iproute2, bpftool, readelf) check it
// in tests.
#pragma once

#include <string>

#include "compiler/ebpf/insn.h"

namespace bpfcap::ebpf {

struct ObjectOptions {
  std::string section = "xdp";          // program section: the program type for libbpf
  std::string function = "bpfcap_xdp"; // symbol = program name (the kernel keeps 15 bytes)
  std::string license = "Dual BSD/GPL"; // no GPL-only helper is used; any license loads
};

// The object file's bytes.
std::string ElfObject(const Program& prog, const ObjectOptions& options = {});

// Writes ElfObject(prog, options) to `path` (created or truncated, mode
// 0644 before the umask). False with *error = "can't write 'PATH': <errno
// text>" on failure; a partly written file is removed.
bool WriteElfObject(const std::string& path, const Program& prog, std::string* error,
                    const ObjectOptions& options = {});

}  // namespace bpfcap::ebpf
