//! Compiles `proto/benchhub/v1/*.proto` with the vendored protoc, so a fresh machine needs no system protoc,
//! and writes a descriptor set used by gRPC server reflection.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../../proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    let files: Vec<PathBuf> = ["common", "ingest", "rankings", "runner", "judge"]
        .iter()
        .map(|name| proto_root.join(format!("benchhub/v1/{name}.proto")))
        .collect();
    println!("cargo:rerun-if-changed={}", proto_root.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);

    let include_dirs = [proto_root.clone(), protoc_bin_vendored::include_path()?];
    tonic_prost_build::configure()
        // Decoding from one contiguous buffer (see src/codec.rs).
        .codec_path("crate::codec::ProstCodec")
        .file_descriptor_set_path(out_dir.join("benchhub_descriptor.bin"))
        .compile_with_config(config, &files, &include_dirs)?;
    Ok(())
}
