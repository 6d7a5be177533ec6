//! Emitters: one module per generated file, all reading the IR through [`Ctx`], which knows
//! how each shape maps to a Rust type. [`render`] turns tokens into a formatted file.

use std::io::Write as _;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Binding, Ir, Member, ShapeIr, ShapeKind, Simple, TimestampFormat};
use crate::names;

pub mod arb;
pub mod dto;
pub mod headers;
pub mod http;
pub mod ops;
pub mod router;
pub mod sts;
pub mod xml;

/// How a member's value is held in its struct field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// `T`: required members.
    Plain,
    /// `Option<T>`.
    Option,
    /// `Vec<T>` / `BTreeMap<K, V>` where empty means absent (flattened XML lists, header and
    /// query lists, prefix headers).
    Collection,
}

/// Where a value is written; decides the default timestamp format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    Header,
    Query,
    Body,
}

/// The emitters' view of the IR.
pub struct Ctx<'a> {
    pub ir: &'a Ir,
}

impl<'a> Ctx<'a> {
    pub fn new(ir: &'a Ir) -> Self {
        Self { ir }
    }

    pub fn shape(&self, id: &str) -> &'a ShapeIr {
        self.ir.shape(id)
    }

    /// Members that are part of the generated struct (streaming payloads stay with the runtime).
    pub fn fields<'s>(&self, shape: &'s ShapeIr) -> Vec<&'s Member> {
        shape
            .members()
            .iter()
            .filter(|m| !self.is_streaming(&m.target))
            .collect()
    }

    /// Streaming blobs and event streams: never part of a struct, never buffered.
    pub fn is_streaming(&self, id: &str) -> bool {
        let shape = self.shape(id);
        matches!(shape.kind, ShapeKind::Simple(Simple::StreamingBlob))
            || (matches!(shape.kind, ShapeKind::Union { .. }) && shape.id.ends_with("EventStream"))
    }

    /// The Rust type of a value of shape `id` (without the holder).
    pub fn rust_type(&self, id: &str) -> TokenStream {
        let shape = self.shape(id);
        match &shape.kind {
            ShapeKind::Simple(s) => match s {
                Simple::String | Simple::BigNumber | Simple::OpaqueTimestamp | Simple::Document => {
                    quote!(::std::string::String)
                }
                Simple::Boolean => quote!(bool),
                Simple::Byte => quote!(i8),
                Simple::Short => quote!(i16),
                Simple::Integer => quote!(i32),
                Simple::Long => quote!(i64),
                Simple::Float => quote!(f32),
                Simple::Double => quote!(f64),
                Simple::Timestamp => quote!(crate::codec::scalar::DateTime),
                Simple::Blob | Simple::StreamingBlob => quote!(crate::codec::scalar::Blob),
            },
            ShapeKind::List { member } => {
                let item = self.rust_type(&member.target);
                quote!(::std::vec::Vec<#item>)
            }
            ShapeKind::Map { key, value } => {
                let (k, v) = (self.rust_type(key), self.rust_type(value));
                quote!(::std::collections::BTreeMap<#k, #v>)
            }
            ShapeKind::Structure { .. }
            | ShapeKind::Union { .. }
            | ShapeKind::Enum { .. }
            | ShapeKind::IntEnum { .. } => names::type_path(&shape.id),
        }
    }

    pub fn holder(&self, m: &Member) -> Holder {
        let target = self.shape(&m.target);
        let collection_binding = matches!(
            m.binding,
            Binding::Header(_) | Binding::Query(_) | Binding::PrefixHeaders(_)
        );
        match target.kind {
            ShapeKind::List { .. } if m.xml_flattened || collection_binding => Holder::Collection,
            ShapeKind::Map { .. } if collection_binding => Holder::Collection,
            _ if m.required => Holder::Plain,
            _ => Holder::Option,
        }
    }

    /// The full field type of a member.
    pub fn field_type(&self, owner: &ShapeIr, m: &Member) -> TokenStream {
        let mut ty = self.rust_type(&m.target);
        if owner.boxed_members.contains(&m.name) {
            ty = quote!(::std::boxed::Box<#ty>);
        }
        match self.holder(m) {
            Holder::Option => quote!(::std::option::Option<#ty>),
            Holder::Plain | Holder::Collection => ty,
        }
    }

    /// Whether `Default` can be derived for a structure.
    pub fn is_default(&self, shape: &ShapeIr) -> bool {
        self.fields(shape).iter().all(|m| match self.holder(m) {
            Holder::Option | Holder::Collection => true,
            Holder::Plain => self.type_is_default(&m.target, 0),
        })
    }

    fn type_is_default(&self, id: &str, depth: usize) -> bool {
        let shape = self.shape(id);
        match &shape.kind {
            ShapeKind::Simple(s) => {
                !matches!(s, Simple::Timestamp | Simple::Blob | Simple::StreamingBlob)
            }
            ShapeKind::List { .. } | ShapeKind::Map { .. } => true,
            ShapeKind::Structure { .. } => depth < 8 && self.is_default(shape),
            _ => false,
        }
    }

    /// Whether the type can derive `Eq` (no floats anywhere inside).
    pub fn is_eq(&self, id: &str) -> bool {
        self.is_eq_inner(id, &mut Vec::new())
    }

    fn is_eq_inner(&self, id: &str, seen: &mut Vec<String>) -> bool {
        if seen.iter().any(|s| s == id) {
            return true;
        }
        seen.push(id.to_owned());
        let shape = self.shape(id);
        match &shape.kind {
            ShapeKind::Simple(s) => !matches!(s, Simple::Float | Simple::Double),
            ShapeKind::List { member } => self.is_eq_inner(&member.target, seen),
            ShapeKind::Map { key, value } => {
                self.is_eq_inner(key, seen) && self.is_eq_inner(value, seen)
            }
            ShapeKind::Structure { members } | ShapeKind::Union { members } => members
                .iter()
                .all(|m| self.is_streaming(&m.target) || self.is_eq_inner(&m.target, seen)),
            ShapeKind::Enum { .. } | ShapeKind::IntEnum { .. } => true,
        }
    }

    /// The timestamp format of a member at a location: member trait, target trait, then the
    /// protocol default for the location.
    pub fn timestamp_format(&self, m: &Member, location: Location) -> TimestampFormat {
        m.timestamp_format
            .or(self.shape(&m.target).timestamp_format)
            .unwrap_or(match location {
                Location::Header => TimestampFormat::HttpDate,
                Location::Query | Location::Body => TimestampFormat::DateTime,
            })
    }

    /// Shapes that get a generated type, in id order.
    pub fn named_shapes(&self) -> impl Iterator<Item = &'a ShapeIr> {
        self.ir.shapes.values().filter(|s| {
            matches!(
                s.kind,
                ShapeKind::Structure { .. }
                    | ShapeKind::Union { .. }
                    | ShapeKind::Enum { .. }
                    | ShapeKind::IntEnum { .. }
            ) && s.id != "smithy.api#Unit"
        })
    }
}

/// Tokens for a timestamp format.
pub fn format_tokens(f: TimestampFormat) -> TokenStream {
    match f {
        TimestampFormat::DateTime => quote!(crate::codec::scalar::TimestampFormat::DateTime),
        TimestampFormat::HttpDate => quote!(crate::codec::scalar::TimestampFormat::HttpDate),
        TimestampFormat::EpochSeconds => {
            quote!(crate::codec::scalar::TimestampFormat::EpochSeconds)
        }
    }
}

/// Renders a generated file: header comment, file-level lint allowances, body; formatted by
/// prettyplease, then rustfmt (so that the committed file is what `cargo fmt` would write).
pub fn render(provenance: &str, body: TokenStream) -> anyhow::Result<String> {
    let file: syn::File = syn::parse2(quote! {
        #![allow(clippy::all, clippy::pedantic, unused_imports, unused_qualifications, unused_mut, unused_variables, non_camel_case_types, missing_docs, dead_code)]
        #body
    })
    .context("generated tokens are not a valid Rust file")?;
    let pretty = prettyplease::unparse(&file);
    let text = format!(
        "// This file was generated by `cargo xtask codegen` from {provenance}; do not edit.\n\n{pretty}"
    );
    rustfmt(&text)
}

fn rustfmt(text: &str) -> anyhow::Result<String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run rustfmt (install it with `rustup component add rustfmt`)")?;
    child
        .stdin
        .take()
        .context("rustfmt stdin")?
        .write_all(text.as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?)
}
