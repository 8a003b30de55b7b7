// Embeds the label font in the build. DejaVu Sans (Debian's fonts-dejavu-core) is free to embed
// and redistribute (Bitstream Vera licence with DejaVu changes in the public domain) and covers
// Latin, Cyrillic and Greek. TESSERA_FONT names another TrueType file.
fn main() {
    println!("cargo:rerun-if-env-changed=TESSERA_FONT");
    let path =
        std::env::var("TESSERA_FONT").unwrap_or_else(|_| "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf".into());
    if !std::path::Path::new(&path).exists() {
        panic!(
            "the label font {path} is missing: install Debian's fonts-dejavu-core, or set TESSERA_FONT to a .ttf file"
        );
    }
    println!("cargo:rerun-if-changed={path}");
    println!("cargo:rustc-env=TESSERA_FONT_PATH={path}");
}
