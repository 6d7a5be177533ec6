//! Emits the data types of one namespace: structures, unions, open enums (unknown values are
//! kept) and int enums.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Ctx;
use crate::ir::{ShapeIr, ShapeKind};
use crate::names;

/// All types of the shapes in `namespace`.
pub fn emit(ctx: &Ctx<'_>, namespace: &str) -> TokenStream {
    let items = ctx
        .named_shapes()
        .filter(|s| s.namespace() == namespace)
        .map(|s| shape(ctx, s));
    quote!(#(#items)*)
}

fn shape(ctx: &Ctx<'_>, s: &ShapeIr) -> TokenStream {
    let name = names::ident(&names::type_name(s.local_name()));
    let doc = format!("Smithy shape `{}`.", s.id);
    match &s.kind {
        ShapeKind::Structure { .. } => {
            let fields = ctx.fields(s).into_iter().map(|m| {
                let field = names::field_name(&m.name);
                let ty = ctx.field_type(s, m);
                let doc = format!("Member `{}`.", m.name);
                quote!(#[doc = #doc] pub #field: #ty,)
            });
            let mut derives = vec![quote!(Clone), quote!(Debug), quote!(PartialEq)];
            if ctx.is_eq(&s.id) {
                derives.push(quote!(Eq));
            }
            if ctx.is_default(s) {
                derives.push(quote!(Default));
            }
            quote! {
                #[doc = #doc]
                #[derive(#(#derives),*)]
                pub struct #name { #(#fields)* }
            }
        }
        ShapeKind::Union { members } => {
            let variants = members.iter().map(|m| {
                let v = format_ident!("{}", names::variant_name(&m.name));
                let mut ty = ctx.rust_type(&m.target);
                if s.boxed_members.contains(&m.name) {
                    ty = quote!(::std::boxed::Box<#ty>);
                }
                quote!(#v(#ty),)
            });
            let eq = ctx.is_eq(&s.id).then(|| quote!(, Eq));
            quote! {
                #[doc = #doc]
                #[derive(Clone, Debug, PartialEq #eq)]
                pub enum #name {
                    #(#variants)*
                    /// A member this version of the model does not know, by element name.
                    Unknown(::std::string::String),
                }
            }
        }
        ShapeKind::Enum { values } => {
            let mut used = BTreeSet::new();
            let variants: Vec<_> = values
                .iter()
                .map(|v| {
                    let mut n = names::variant_name(&v.name);
                    if n == "Unknown" {
                        n = "UnknownValue".into();
                    }
                    while !used.insert(n.clone()) {
                        n.push('_');
                    }
                    format_ident!("{}", n)
                })
                .collect();
            let wires: Vec<&str> = values.iter().map(|v| v.value.as_str()).collect();
            let mut seen = BTreeSet::new();
            let from_arms = variants
                .iter()
                .zip(&wires)
                .filter(|(_, w)| seen.insert(**w))
                .map(|(v, w)| quote!(#w => Self::#v,));
            let status = values.iter().any(|v| v.http_status.is_some()).then(|| {
                let arms = variants.iter().zip(values).map(|(v, val)| {
                    let code = val.http_status.unwrap_or(500);
                    quote!(Self::#v => #code,)
                });
                quote! {
                    /// The HTTP status this value is answered with.
                    pub fn http_status(&self) -> u16 {
                        match self { #(#arms)* Self::Unknown(_) => 500 }
                    }
                }
            });
            quote! {
                #[doc = #doc]
                #[derive(Clone, Debug, PartialEq, Eq, Hash)]
                pub enum #name {
                    #(#[doc = #wires] #variants,)*
                    /// A value this version of the model does not know, kept as sent.
                    Unknown(::std::string::String),
                }
                impl #name {
                    /// Every value the model knows.
                    pub const VALUES: &'static [&'static str] = &[#(#wires),*];
                    /// The wire value.
                    pub fn as_str(&self) -> &str {
                        match self { #(Self::#variants => #wires,)* Self::Unknown(s) => s }
                    }
                    /// The value for a wire string; unknown strings are kept.
                    pub fn from_wire(s: &str) -> Self {
                        match s { #(#from_arms)* other => Self::Unknown(other.to_owned()) }
                    }
                    #status
                }
                impl crate::codec::scalar::TextValue for #name {
                    fn parse_text(s: &str) -> ::std::result::Result<Self, crate::codec::scalar::ScalarError> {
                        Ok(Self::from_wire(s))
                    }
                    fn to_text(&self) -> ::std::string::String {
                        self.as_str().to_owned()
                    }
                }
                impl ::std::fmt::Display for #name {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(self.as_str())
                    }
                }
            }
        }
        ShapeKind::IntEnum { values } => {
            let consts = values.iter().map(|(n, v)| {
                let c = names::ident(&heck::ToShoutySnakeCase::to_shouty_snake_case(n.as_str()));
                let v = i32::try_from(*v).unwrap_or_default();
                quote!(pub const #c: Self = Self(#v);)
            });
            quote! {
                #[doc = #doc]
                #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
                pub struct #name(pub i32);
                impl #name { #(#consts)* }
                impl crate::codec::scalar::TextValue for #name {
                    fn parse_text(s: &str) -> ::std::result::Result<Self, crate::codec::scalar::ScalarError> {
                        <i32 as crate::codec::scalar::TextValue>::parse_text(s).map(Self)
                    }
                    fn to_text(&self) -> ::std::string::String {
                        self.0.to_string()
                    }
                }
            }
        }
        ShapeKind::List { .. } | ShapeKind::Map { .. } | ShapeKind::Simple(_) => quote!(),
    }
}
