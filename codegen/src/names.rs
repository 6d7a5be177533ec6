//! Rust names for Smithy names: type, field and variant identifiers (keywords escaped), the
//! generated module that holds each namespace, and header-name constants.

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// The generated module holding the shapes of a namespace.
pub fn module_for_namespace(namespace: &str) -> &'static str {
    match namespace {
        "com.amazonaws.s3" => "dto",
        "com.amazonaws.sts" => "sts",
        _ => "gateway",
    }
}

/// Rust keywords that cannot be used as plain identifiers.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop",
    "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self",
    "static", "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe", "unsized",
    "use", "virtual", "where", "while", "yield",
];

/// An identifier, raw (`r#type`) if it is a keyword.
pub fn ident(name: &str) -> Ident {
    if KEYWORDS.contains(&name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// The Rust type name of a shape: its local name with an upper-case first letter.
pub fn type_name(local_name: &str) -> String {
    let mut chars = local_name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A path to a generated type from any generated module (`super::dto::Tag`).
pub fn type_path(shape_id: &str) -> TokenStream {
    let (ns, name) = shape_id.split_once('#').unwrap_or(("", shape_id));
    let module = ident(module_for_namespace(ns));
    let name = ident(&type_name(name));
    quote!(super::#module::#name)
}

/// A struct field name: snake_case of the member name (`SSECustomerKeyMD5` → `sse_customer_key_md5`).
pub fn field_name(member: &str) -> Ident {
    ident(&member.to_snake_case())
}

/// An enum variant name: UpperCamelCase of the member name (`STANDARD_IA` → `StandardIa`).
pub fn variant_name(member: &str) -> String {
    let camel = member.to_upper_camel_case();
    if camel.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{camel}")
    } else {
        camel
    }
}

/// The constant name for a header (`x-amz-copy-source` → `X_AMZ_COPY_SOURCE`).
pub fn header_const(header: &str) -> Ident {
    ident(&header.to_shouty_snake_case())
}

/// A function-name fragment for a shape (`ListObjectsV2Output` → `list_objects_v2_output`).
pub fn snake(name: &str) -> String {
    name.to_snake_case()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_split_acronyms_and_escape_keywords() {
        assert_eq!(
            field_name("SSECustomerKeyMD5").to_string(),
            "sse_customer_key_md5"
        );
        assert_eq!(field_name("ETag").to_string(), "e_tag");
        assert_eq!(field_name("MFADelete").to_string(), "mfa_delete");
        assert_eq!(field_name("Type").to_string(), "r#type");
    }

    #[test]
    fn variants_and_types() {
        assert_eq!(variant_name("STANDARD_IA"), "StandardIa");
        assert_eq!(variant_name("public_read"), "PublicRead");
        assert_eq!(variant_name("2"), "V2");
        assert_eq!(type_name("arnType"), "ArnType");
        assert_eq!(
            type_path("com.amazonaws.s3#Tag").to_string(),
            "super :: dto :: Tag"
        );
        assert_eq!(
            header_const("x-amz-copy-source").to_string(),
            "X_AMZ_COPY_SOURCE"
        );
    }
}
