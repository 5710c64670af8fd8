#!/usr/bin/env bash
# Regenerates Likeness's Swift gRPC client for Milvus (not run in CI; the output is committed).
#
#   scripts/milvus/generate-client.sh
#
# 1. Reads Milvus's protocol definitions from the FileDescriptorProtos that pymilvus's grpc_gen
#    *_pb2 modules carry (pymilvus 3.0.2, milvus-proto go-api/v3), trims them to the RPCs,
#    messages and fields Likeness uses (field numbers and names unchanged; see trim.py below),
#    and writes them back as .proto source to scripts/milvus/protos/ (committed for review).
# 2. Builds protoc-gen-swift (apple/swift-protobuf 1.39.0) and protoc-gen-grpc-swift-2
#    (grpc/grpc-swift-protobuf 2.4.1, over grpc-swift-2 2.4.3) in a scratch directory and runs
#    protoc (Debian's protobuf-compiler, 3.21.12) to write Sources/LikenessMilvus/Generated/:
#    messages + client stubs only, internal visibility (they live in the LikenessIndex module).
#
# Needs: the project venv with pymilvus (make setup; requirements.txt pins it), swift on PATH
# (or /opt/swift/usr/bin), and apt's protobuf-compiler, libprotobuf-dev and g++ (installed
# here if missing). Idempotent: the same inputs give byte-identical output.
# Environment: PYTHON (default .venv/bin/python), MILVUS_GEN_SCRATCH (default /tmp/likeness-milvus-gen).
set -euo pipefail

PYMILVUS_VERSION=3.0.2
SWIFT_PROTOBUF_VERSION=1.39.0
GRPC_SWIFT_PROTOBUF_VERSION=2.4.1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
SCRATCH="${MILVUS_GEN_SCRATCH:-/tmp/likeness-milvus-gen}"
PROTO_DIR="$ROOT/scripts/milvus/protos"
OUT_DIR="$ROOT/Sources/LikenessMilvus/Generated"
export PATH="$PATH:/opt/swift/usr/bin"

have="$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("pymilvus"))')"
if [ "$have" != "$PYMILVUS_VERSION" ]; then
    echo "pymilvus $have is installed; this script expects $PYMILVUS_VERSION (scripts/requirements.txt)" >&2
    exit 1
fi
if ! command -v protoc >/dev/null || [ ! -f /usr/include/google/protobuf/descriptor.h ] || ! command -v g++ >/dev/null; then
    apt-get install -y protobuf-compiler libprotobuf-dev g++
fi
mkdir -p "$SCRATCH/plugins"

# ---- 1. descriptors → trimmed FileDescriptorSet → .proto source --------------------------------
cat > "$SCRATCH/trim.py" <<'EOF'
"""Extract Milvus's FileDescriptorProtos from pymilvus and trim them to what Likeness uses.

Usage: python trim.py OUT.pb   (writes a FileDescriptorSet)
A top-level message is kept, with every field (exact numbers/names), when reachable from a kept
RPC; the fields in FIELD_DROPS are left out (Likeness neither sends nor reads them, and their types
would pull in large sub-trees). That is wire-compatible: a parser skips fields it does not know,
and a server treats an absent field as its default. Custom options (privilege/ext annotations)
are removed, so descriptor.proto is not needed.
"""
import sys
from google.protobuf import descriptor_pb2
from pymilvus.grpc_gen import milvus_pb2

RPCS = ["Connect", "CreateCollection", "DropCollection", "HasCollection", "DescribeCollection",
        "CreateIndex", "DescribeIndex", "LoadCollection", "GetLoadState", "GetLoadingProgress",
        "Insert", "Upsert", "Delete", "Search", "Query", "Flush", "GetCollectionStatistics",
        "ManualCompaction", "GetCompactionState", "GetFlushState"]
_M, _S = ".milvus.proto.milvus.", ".milvus.proto.schema."
_REQUESTS = ["CreateCollectionRequest", "DropCollectionRequest", "HasCollectionRequest",
             "DescribeCollectionRequest", "LoadCollectionRequest", "GetCollectionStatisticsRequest",
             "CreateIndexRequest", "DescribeIndexRequest", "InsertRequest", "UpsertRequest",
             "DeleteRequest", "SearchRequest", "FlushRequest", "QueryRequest",
             "GetLoadingProgressRequest", "GetLoadStateRequest", "ConnectRequest"]
FIELD_DROPS = {(_M + r, "base") for r in _REQUESTS} | {  # MsgBase: optional, servers fill it in
    (_M + "SearchRequest", f) for f in ["ids", "sub_reqs", "expr_template_values", "function_score",
                                        "highlighter", "search_aggregation", "function_chains"]
} | {
    (_M + "DeleteRequest", "expr_template_values"), (_M + "QueryRequest", "expr_template_values"),
    (_M + "UpsertRequest", "field_ops"), (_M + "FlushResponse", "channel_cps"),
    (_S + "CollectionSchema", "functions"), (_S + "CollectionSchema", "struct_array_fields"),
    (_S + "FieldSchema", "default_value"), (_S + "FieldData", "struct_arrays"),
    (_S + "VectorField", "vector_array"), (_S + "VectorField", "sparse_float_vector"),
} | {
    (_S + "ScalarField", f) for f in ["array_data", "geometry_data", "timestamptz_data",
                                      "geometry_wkt_data", "mol_data", "mol_smiles_data",
                                      "date_data", "time_data"]
} | {
    (_S + "SearchResultData", f) for f in ["search_iterator_v2_results", "highlight_results",
                                           "agg_buckets"]
}
# Carried as serialized bytes inside a request (SearchRequest.placeholder_group), so no field
# references them: keep them explicitly.
EXTRA_ROOTS = [".milvus.proto.common.PlaceholderGroup"]

fds = descriptor_pb2.FileDescriptorSet()
seen = set()
def add(fd):
    if fd.name in seen: return
    for dep in fd.dependencies: add(dep)
    seen.add(fd.name)
    p = descriptor_pb2.FileDescriptorProto(); fd.CopyToProto(p); fds.file.append(p)
add(milvus_pb2.DESCRIPTOR)

# Every type (message or enum, nested or not) by full name → (file, top-level name, proto)
types = {}
def index_msg(f, prefix, top, m):
    full = f"{prefix}.{m.name}"
    types[full] = (f, top or full, m)
    for n in m.nested_type: index_msg(f, full, top or full, n)
    for e in m.enum_type: types[f"{full}.{e.name}"] = (f, top or full, e)
for f in fds.file:
    for m in f.message_type: index_msg(f, "." + f.package, None, m)
    for e in f.enum_type: types[f".{f.package}.{e.name}"] = (f, f".{f.package}.{e.name}", e)

keep_top, work = set(), []
def need(tn):
    top = types[tn][1]
    if top not in keep_top:
        keep_top.add(top); work.append(top)

def live_nested(full, m):
    """Nested types, less the map-entry types of dropped map fields."""
    used = {fld.type_name for fld in m.field if (full, fld.name) not in FIELD_DROPS}
    return [n for n in m.nested_type if not n.options.map_entry or f"{full}.{n.name}" in used]

def walk(full, m):
    if isinstance(m, descriptor_pb2.EnumDescriptorProto): return
    for fld in m.field:
        if (full, fld.name) not in FIELD_DROPS and fld.type_name: need(fld.type_name)
    for n in live_nested(full, m): walk(f"{full}.{n.name}", n)

svc = [s for f in fds.file if f.name == "milvus.proto" for s in f.service if s.name == "MilvusService"][0]
missing = set(RPCS) - {m.name for m in svc.method}
if missing: sys.exit(f"MilvusService has no {sorted(missing)}")
for root in EXTRA_ROOTS: need(root)
for meth in svc.method:
    if meth.name in RPCS: need(meth.input_type); need(meth.output_type)
while work:
    top = work.pop(); walk(top, types[top][2])

def clean_msg(full, m):
    nested = live_nested(full, m)
    del m.nested_type[:]; m.nested_type.extend(nested)
    keep = [fld for fld in m.field if (full, fld.name) not in FIELD_DROPS]
    used_oneofs = sorted({fld.oneof_index for fld in keep if fld.HasField("oneof_index")})
    remap = {old: new for new, old in enumerate(used_oneofs)}
    oneofs = [m.oneof_decl[i] for i in used_oneofs]
    del m.field[:]; m.field.extend(keep)
    for fld in m.field:
        if fld.HasField("oneof_index"): fld.oneof_index = remap[fld.oneof_index]
        std = descriptor_pb2.FieldOptions()  # keep only the standard options
        if fld.options.HasField("packed"): std.packed = fld.options.packed
        if fld.options.HasField("deprecated"): std.deprecated = fld.options.deprecated
        fld.ClearField("options")
        if std.ListFields(): fld.options.CopyFrom(std)
    del m.oneof_decl[:]; m.oneof_decl.extend(oneofs)
    std = descriptor_pb2.MessageOptions()
    if m.options.HasField("map_entry"): std.map_entry = m.options.map_entry
    if m.options.HasField("deprecated"): std.deprecated = m.options.deprecated
    m.ClearField("options")
    if std.ListFields(): m.options.CopyFrom(std)
    for n in m.nested_type: clean_msg(f"{full}.{n.name}", n)

out = descriptor_pb2.FileDescriptorSet()
for f in fds.file:
    if f.name == "google/protobuf/descriptor.proto": continue
    nf = descriptor_pb2.FileDescriptorProto(); nf.CopyFrom(f)
    pre = "." + f.package
    msgs = [m for m in nf.message_type if f"{pre}.{m.name}" in keep_top]
    enums = [e for e in nf.enum_type if f"{pre}.{e.name}" in keep_top]
    del nf.message_type[:]; nf.message_type.extend(msgs)
    del nf.enum_type[:]; nf.enum_type.extend(enums)
    for m in nf.message_type: clean_msg(f"{pre}.{m.name}", m)
    del nf.extension[:]
    services = []
    for s in nf.service:
        if s.name != "MilvusService": continue
        meths = [mm for mm in s.method if mm.name in RPCS]
        del s.method[:]; s.method.extend(meths)
        for mm in s.method: mm.ClearField("options")
        s.ClearField("options")
        services.append(s)
    del nf.service[:]; nf.service.extend(services)
    if nf.message_type or nf.enum_type or nf.service: out.file.append(nf)

owner = {full: ff.name for full, (ff, _, _) in types.items()}
for f in out.file:  # recompute each file's imports
    deps = set()
    def refs(m):
        for fld in m.field:
            if fld.type_name: deps.add(owner[fld.type_name])
        for n in m.nested_type: refs(n)
    for m in f.message_type: refs(m)
    for s in f.service:
        for mm in s.method: deps.add(owner[mm.input_type]); deps.add(owner[mm.output_type])
    deps.discard(f.name)
    order = [d for d in f.dependency if d in deps]
    del f.dependency[:]; f.dependency.extend(order)
    del f.public_dependency[:]; del f.weak_dependency[:]
    f.ClearField("source_code_info")
    print(f"  {f.name}: {len(f.message_type)} messages, {len(f.enum_type)} enums,",
          f"{sum(len(s.method) for s in f.service)} rpcs")
open(sys.argv[1], "wb").write(out.SerializeToString())
EOF

cat > "$SCRATCH/fds2proto.cc" <<'EOF'
// Prints each file of a FileDescriptorSet as .proto source (FileDescriptor::DebugString).
// Usage: fds2proto SET.pb OUTDIR
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <fstream>
#include <iostream>
using namespace google::protobuf;
int main(int argc, char** argv) {
  if (argc != 3) { std::cerr << "usage: fds2proto SET.pb OUTDIR\n"; return 2; }
  std::ifstream in(argv[1], std::ios::binary);
  FileDescriptorSet set;
  if (!set.ParseFromIstream(&in)) { std::cerr << "cannot parse " << argv[1] << "\n"; return 1; }
  DescriptorPool pool;
  for (const auto& f : set.file()) {
    const FileDescriptor* fd = pool.BuildFile(f);
    if (!fd) { std::cerr << "cannot build " << f.name() << "\n"; return 1; }
    std::ofstream out(std::string(argv[2]) + "/" + f.name());
    out << fd->DebugString();
  }
  return 0;
}
EOF
g++ -O1 -o "$SCRATCH/fds2proto" "$SCRATCH/fds2proto.cc" -lprotobuf

echo "Trimming the descriptors of pymilvus $PYMILVUS_VERSION"
"$PYTHON" "$SCRATCH/trim.py" "$SCRATCH/trimmed.pb"
rm -rf "$SCRATCH/protos" && mkdir -p "$SCRATCH/protos"
"$SCRATCH/fds2proto" "$SCRATCH/trimmed.pb" "$SCRATCH/protos"
mkdir -p "$PROTO_DIR"
rm -f "$PROTO_DIR"/*.proto
for f in "$SCRATCH"/protos/*.proto; do
    {
        echo "// Milvus's $(basename "$f") (milvus-proto, Apache-2.0), as shipped in pymilvus $PYMILVUS_VERSION,"
        echo "// trimmed to what Likeness uses: field numbers and names are Milvus's own; unused"
        echo "// messages, RPCs and fields are left out. Generated by scripts/milvus/generate-client.sh:"
        echo "// do not edit by hand."
        echo
        cat "$f"
    } > "$PROTO_DIR/$(basename "$f")"
done

# ---- 2. protoc plugins ------------------------------------------------------------------------
cat > "$SCRATCH/plugins/Package.swift" <<EOF
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "plugins",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "$SWIFT_PROTOBUF_VERSION"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", exact: "$GRPC_SWIFT_PROTOBUF_VERSION"),
    ],
    targets: []
)
EOF
echo "Building protoc-gen-swift $SWIFT_PROTOBUF_VERSION and protoc-gen-grpc-swift-2 $GRPC_SWIFT_PROTOBUF_VERSION (a few minutes the first time)"
for product in protoc-gen-swift protoc-gen-grpc-swift-2; do
    swift build --package-path "$SCRATCH/plugins" --scratch-path "$SCRATCH/build" -c release --product "$product"
done
BIN="$(swift build --package-path "$SCRATCH/plugins" --scratch-path "$SCRATCH/build" -c release --show-bin-path)"

# ---- 3. Swift -----------------------------------------------------------------------------------
mkdir -p "$OUT_DIR"
rm -f "$OUT_DIR"/*.swift
cd "$PROTO_DIR"
protoc -I. \
    --plugin=protoc-gen-swift="$BIN/protoc-gen-swift" \
    --swift_out="$OUT_DIR" --swift_opt=Visibility=Internal \
    ./*.proto
protoc -I. \
    --plugin=protoc-gen-grpc-swift="$BIN/protoc-gen-grpc-swift-2" \
    --grpc-swift_out="$OUT_DIR" --grpc-swift_opt=Visibility=Internal,Client=true,Server=false \
    milvus.proto
wc -l "$OUT_DIR"/*.swift
