//! The H.323 message types: H.225.0 v7 (`h323_messages`: RAS and call signalling), H.235
//! (`h235_security_messages`) and H.245 v15 (`multimedia_system_control`), generated at build time
//! by rasn-compiler from the ITU-T ASN.1 modules in `asn1/original/` (as Wireshark carries them),
//! prepared for the compiler by `asn1/prepare.py` without changing their aligned PER encoding.
//! Encode and decode with `rasn::aper`. Generated code: its lints are not this project's.

#![allow(clippy::all, clippy::pedantic, unused, non_camel_case_types, non_snake_case, non_upper_case_globals)]

include!(concat!(env!("OUT_DIR"), "/h323_asn.rs"));
