// The ELF object writer; see object.h for the layout.

#include "compiler/ebpf/object.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <type_traits>

namespace bpfcap::ebpf {
namespace {

static_assert(std::is_trivially_copyable_v<Elf64_Ehdr> && sizeof(Elf64_Ehdr) == 64);
static_assert(sizeof(Elf64_Shdr) == 64 && sizeof(Elf64_Sym) == 24);

enum SectionIndex : uint16_t { kNull, kStrtab, kProgram, kLicense, kSymtab, kNumSections };

// A string table under construction: "\0name\0name\0...".
class StringTable {
 public:
  StringTable() : bytes_(1, '\0') {}
  uint32_t Add(const std::string& s) {
    const uint32_t at = static_cast<uint32_t>(bytes_.size());
    bytes_ += s;
    bytes_ += '\0';
    return at;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

template <typename T>
void Append(std::string* out, const T& value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof value);
}

// Pads *out with zeros to a multiple of `align`; returns the new size.
uint64_t AlignTo(std::string* out, uint64_t align) {
  out->resize((out->size() + align - 1) / align * align, '\0');
  return out->size();
}

Elf64_Sym Symbol(uint32_t name, unsigned char type, uint16_t section, uint64_t size) {
  Elf64_Sym s{};
  s.st_name = name;
  s.st_info = ELF64_ST_INFO(STB_GLOBAL, type);
  s.st_other = STV_DEFAULT;
  s.st_shndx = section;
  s.st_value = 0;
  s.st_size = size;
  return s;
}

}  // namespace

std::string ElfObject(const Program& prog, const ObjectOptions& options) {
  StringTable strings;
  Elf64_Shdr sh[kNumSections] = {};
  sh[kStrtab].sh_name = strings.Add(".strtab");
  sh[kProgram].sh_name = strings.Add(options.section);
  sh[kLicense].sh_name = strings.Add("license");
  sh[kSymtab].sh_name = strings.Add(".symtab");
  const uint64_t prog_size = prog.size() * sizeof(Insn);
  const std::string license = options.license + '\0';
  const Elf64_Sym symbols[] = {
      Elf64_Sym{},
      Symbol(strings.Add(options.function), STT_FUNC, kProgram, prog_size),
      Symbol(strings.Add("_license"), STT_OBJECT, kLicense, license.size()),
  };

  std::string out(sizeof(Elf64_Ehdr), '\0');  // the header goes in last
  auto place = [&](SectionIndex i, uint32_t type, uint64_t flags, uint64_t align,
                   const void* data, uint64_t size) {
    sh[i].sh_type = type;
    sh[i].sh_flags = flags;
    sh[i].sh_addralign = align;
    sh[i].sh_offset = AlignTo(&out, align);
    sh[i].sh_size = size;
    out.append(static_cast<const char*>(data), size);
  };
  place(kProgram, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, sizeof(Insn), prog.data(), prog_size);
  place(kLicense, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 1, license.data(), license.size());
  place(kSymtab, SHT_SYMTAB, 0, 8, symbols, sizeof symbols);
  sh[kSymtab].sh_link = kStrtab;
  sh[kSymtab].sh_info = 1;  // index of the first global symbol
  sh[kSymtab].sh_entsize = sizeof(Elf64_Sym);
  place(kStrtab, SHT_STRTAB, 0, 1, strings.bytes().data(), strings.bytes().size());

  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;  // insn.h: little-endian hosts only
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
  eh.e_type = ET_REL;
  eh.e_machine = EM_BPF;
  eh.e_version = EV_CURRENT;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = kNumSections;
  eh.e_shstrndx = kStrtab;
  eh.e_shoff = AlignTo(&out, 8);
  for (const Elf64_Shdr& s : sh) Append(&out, s);
  std::memcpy(out.data(), &eh, sizeof eh);
  return out;
}

bool WriteElfObject(const std::string& path, const Program& prog, std::string* error,
                    const ObjectOptions& options) {
  const std::string bytes = ElfObject(prog, options);
  auto fail = [&](int err, bool remove) {
    *error = "can't write '" + path + "': " + std::strerror(err);
    if (remove) unlink(path.c_str());
    return false;
  };
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(errno, false);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      close(fd);
      return fail(err, true);
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) return fail(errno, true);
  return true;
}

}  // namespace bpfcap::ebpf
