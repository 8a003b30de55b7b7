//! Generates the message types from `asn1/prepared/*.asn` (see `asn1/prepare.py`) with
//! rasn-compiler, into `OUT_DIR/h323_asn.rs`.

use rasn_compiler::prelude::{Compiler, RasnBackend};
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR")).join("asn1/prepared");
    let modules = ["H235-SECURITY-MESSAGES.asn", "MULTIMEDIA-SYSTEM-CONTROL.asn", "H323-MESSAGES.asn"];
    for m in modules {
        println!("cargo::rerun-if-changed={}", dir.join(m).display());
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("h323_asn.rs");
    #[allow(deprecated)] // set_output_mode is not documented yet; the path form still works
    let warnings = Compiler::<RasnBackend, _>::new()
        .add_asn_sources_by_path(modules.iter().map(|m| dir.join(m)))
        .set_output_path(&out)
        .compile()
        .unwrap_or_else(|e| panic!("rasn-compiler: {e}"));
    for w in warnings {
        println!("cargo::warning=rasn-compiler: {w}");
    }
}
