//! Generates the message types from `asn1/prepared/*.asn` (see `asn1/prepare.py`) with
//! rasn-compiler, into `OUT_DIR/h323_asn.rs`, then gives each extension addition whose type is
//! a constrained named type (`TimeToLive ::= INTEGER (1..4294967295)`) that type's constraints
//! on the field itself ([`constrain_extension_additions`]).

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
    let code = std::fs::read_to_string(&out).expect("the generated code");
    std::fs::write(&out, constrain_extension_additions(&code)).expect("the generated code written back");
}

/// rasn 0.30 encodes and decodes an extension addition with the field's own constraints and
/// those of `Option<T>`, which has none, so the constraints of a named type `T` are lost there:
/// `timeToLive` (INTEGER (1..4294967295)) was written as an unconstrained integer and an
/// endpoint's RRQ did not decode. Root fields are unaffected (they use `T`'s constraints). This
/// copies each constrained delegate type's `value(..)`/`size(..)` onto the extension additions of
/// that type, which PER then encodes as X.691 says (checked against pycrate in tests/vectors.rs).
fn constrain_extension_additions(code: &str) -> String {
    use std::collections::HashMap;
    let lines: Vec<&str> = code.lines().collect();
    // Named delegate types and their PER-visible constraints.
    let mut constraints: HashMap<String, Option<String>> = HashMap::new();
    let mut inner: HashMap<String, String> = HashMap::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let Some(args) = t.strip_prefix("#[rasn(delegate").and_then(|a| a.strip_suffix(")]")) else { continue };
        let Some(decl) = lines[i + 1..].iter().map(|l| l.trim()).find(|l| !l.starts_with("#[")) else { continue };
        let Some(rest) = decl.strip_prefix("pub struct ") else { continue };
        let Some((name, field)) = rest.split_once('(') else { continue };
        let found: Vec<String> = ["value(", "size("]
            .iter()
            .filter_map(|k| {
                let at = args.find(k)?;
                let end = at + args[at..].find(')')? + 1;
                Some(args[at..end].to_string())
            })
            .collect();
        let entry = (!found.is_empty()).then(|| found.join(", "));
        // A name defined twice with different constraints is left alone.
        match constraints.get(name) {
            Some(existing) if *existing != entry => {
                constraints.insert(name.to_string(), None);
            }
            _ => {
                constraints.insert(name.to_string(), entry);
            }
        }
        let inner_ty = field.trim_start_matches("pub ").trim_end_matches(");");
        inner.insert(name.to_string(), inner_ty.to_string());
    }
    // A delegate of a constrained delegate carries its constraints.
    for _ in 0..4 {
        for (name, ty) in &inner {
            if matches!(constraints.get(name), Some(None))
                && let Some(Some(c)) = constraints.get(ty).cloned()
            {
                constraints.insert(name.clone(), Some(c));
            }
        }
    }
    let mut out = String::with_capacity(code.len() + 4096);
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or_default();
        let ty = next
            .strip_prefix("pub ")
            .and_then(|f| f.split_once(": Option<"))
            .map(|(_, rest)| rest.trim_end_matches(','))
            .and_then(|rest| rest.strip_suffix('>'));
        match (t.strip_prefix("#[rasn(extension_addition"), ty.and_then(|ty| constraints.get(ty))) {
            (Some(rest), Some(Some(c))) if !rest.contains("value(") && !rest.contains("size(") => {
                let indent = &line[..line.len() - t.len()];
                out.push_str(&format!("{indent}#[rasn(extension_addition, {c}{rest}\n"));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}
