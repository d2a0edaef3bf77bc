#include "compiler/opt/pass.h"
namespace bpfcap::opt {
bool BuildSwitchTrees(ir::Program&) { return false; }
}
