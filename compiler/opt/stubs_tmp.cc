#include "compiler/opt/pass.h"
namespace bpfcap::opt {
bool ThreadBranches(ir::Program&) { return false; }
bool Simplify(ir::Program&) { return false; }
bool BuildSwitchTrees(ir::Program&) { return false; }
}
