//! Emits the STS (awsQuery) bindings: inputs read from and written as form parameters
//! (`Action=…&Version=…&Member.Sub=…&List.member.1=…`), outputs written and read as
//! `<OpResponse><OpResult>…</OpResult><ResponseMetadata><RequestId/></…></OpResponse>`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Ctx, Holder, Location, format_tokens};
use crate::ir::{Member, ShapeIr, ShapeKind, Simple};
use crate::names;

pub fn emit(ctx: &Ctx<'_>) -> TokenStream {
    let ns = ctx
        .ir
        .sts
        .xml_namespace
        .as_ref()
        .map(|n| n.uri.clone())
        .unwrap_or_default();
    let version = "2011-06-15";
    let structs = ctx
        .named_shapes()
        .filter(|s| {
            s.namespace() == "com.amazonaws.sts" && matches!(s.kind, ShapeKind::Structure { .. })
        })
        .map(|s| query_impls(ctx, s));
    let ops = ctx.ir.sts.operations.iter().map(|op| {
        let action = &op.name;
        let input = op.input.as_ref().map(|id| {
            let ty = names::type_path(id);
            quote! {
                impl #ty {
                    /// The `Action` parameter of this operation.
                    pub const ACTION: &'static str = #action;
                    /// Reads this input from form or query parameters.
                    pub fn from_query(params: &QueryParams) -> ::std::result::Result<Self, BindingError> {
                        <Self as QueryRead>::read_query(params, "")
                    }
                    /// Writes this input as form parameters, `Action` and `Version` first.
                    pub fn to_query(&self) -> ::std::vec::Vec<(::std::string::String, ::std::string::String)> {
                        let mut out = vec![("Action".to_owned(), #action.to_owned()), ("Version".to_owned(), STS_VERSION.to_owned())];
                        QueryWrite::write_query(self, "", &mut out);
                        out
                    }
                }
            }
        });
        let output = op.output.as_ref().map(|id| {
            let ty = names::type_path(id);
            let response = format!("{action}Response");
            let result = format!("{action}Result");
            quote! {
                impl #ty {
                    /// Writes the complete XML response document.
                    pub fn to_xml(&self, request_id: &str) -> ::std::vec::Vec<u8> {
                        let mut w = XmlWriter::with_declaration();
                        w.start(#response, &[("xmlns", STS_NAMESPACE)]);
                        XmlWrite::write_xml(self, &mut w, #result, &[]);
                        w.start("ResponseMetadata", &[]);
                        w.text_element("RequestId", request_id);
                        w.end("ResponseMetadata");
                        w.end(#response);
                        w.finish()
                    }
                    /// Reads the XML response document.
                    pub fn from_xml(body: &[u8]) -> ::std::result::Result<Self, XmlError> {
                        let root = crate::codec::xml_value::body_root(Some(body), #response)?;
                        let result = root.child(#result).ok_or_else(|| XmlError::MissingElement(#result.to_owned()))?;
                        <Self as XmlRead>::read_xml(result)
                    }
                }
            }
        });
        quote!(#input #output)
    });
    quote! {
        use crate::codec::http::BindingError;
        use crate::codec::query_value::{QueryParams, QueryRead, QueryWrite};
        use crate::codec::xml::{XmlError, XmlWriter};
        use crate::codec::xml_value::{XmlRead, XmlWrite};

        /// The STS API version sent as `Version`.
        pub const STS_VERSION: &str = #version;
        /// The XML namespace of STS responses.
        pub const STS_NAMESPACE: &str = #ns;

        #(#structs)*
        #(#ops)*
    }
}

fn key(m: &Member) -> String {
    m.xml_element_name().to_owned()
}

fn query_impls(ctx: &Ctx<'_>, s: &ShapeIr) -> TokenStream {
    let ty = names::type_path(&s.id);
    let fields = ctx.fields(s);
    let writes = fields.iter().map(|m| {
        let field = names::field_name(&m.name);
        let k = key(m);
        let opt = match ctx.holder(m) {
            Holder::Option => quote!(self.#field.as_ref()),
            _ => quote!(Some(&self.#field)),
        };
        let write = value_write(ctx, m, &m.target, &quote!(v), &quote!(k));
        quote! {
            if let Some(v) = #opt {
                let k = format!("{prefix}{}", #k);
                #write
            }
        }
    });
    let reads = fields.iter().map(|m| {
        let field = names::field_name(&m.name);
        let k = key(m);
        let read = value_read(ctx, m, &m.target, &quote!(k));
        let expr = match ctx.holder(m) {
            Holder::Plain => {
                quote!(#read.ok_or_else(|| BindingError::MissingParameter(k.clone()))?)
            }
            Holder::Option => read,
            Holder::Collection => quote!(#read.unwrap_or_default()),
        };
        quote!(#field: { let k = format!("{prefix}{}", #k); #expr },)
    });
    quote! {
        impl QueryWrite for #ty {
            fn write_query(&self, prefix: &str, out: &mut ::std::vec::Vec<(::std::string::String, ::std::string::String)>) {
                #(#writes)*
            }
        }
        impl QueryRead for #ty {
            fn read_query(params: &QueryParams, prefix: &str) -> ::std::result::Result<Self, BindingError> {
                Ok(Self { #(#reads)* })
            }
        }
    }
}

/// Statements pushing value `v` (a reference) under key expression `k`.
fn value_write(
    ctx: &Ctx<'_>,
    m: &Member,
    target: &str,
    v: &TokenStream,
    k: &TokenStream,
) -> TokenStream {
    match &ctx.shape(target).kind {
        ShapeKind::Simple(Simple::Timestamp) => {
            let fmt = format_tokens(ctx.timestamp_format(m, Location::Query));
            quote!(out.push((#k.clone(), crate::codec::scalar::format_timestamp(#v, #fmt)));)
        }
        ShapeKind::Simple(_) | ShapeKind::Enum { .. } | ShapeKind::IntEnum { .. } => {
            quote!(out.push((#k.clone(), crate::codec::scalar::TextValue::to_text(#v)));)
        }
        ShapeKind::Structure { .. } | ShapeKind::Union { .. } => {
            quote!((#v).write_query(&format!("{}.", #k), out);)
        }
        ShapeKind::List { member } => {
            let item = value_write(ctx, member, &member.target, &quote!(item), &quote!(ik));
            let infix = if m.xml_flattened { "" } else { ".member" };
            // Items that write nothing (a structure with every member absent) take no number,
            // so that the numbering the reader walks stays contiguous.
            quote! {
                let mut n = 0usize;
                for item in #v.iter() {
                    let ik = format!("{}{}.{}", #k, #infix, n + 1);
                    let before = out.len();
                    #item
                    if out.len() > before { n += 1; }
                }
                if n == 0 { out.push((#k.clone(), ::std::string::String::new())); }
            }
        }
        ShapeKind::Map { key, value } => {
            let kw = value_write(ctx, m, key, &quote!(mk), &quote!(kk));
            let vw = value_write(ctx, m, value, &quote!(mv), &quote!(vk));
            quote! {
                for (i, (mk, mv)) in #v.iter().enumerate() {
                    let kk = format!("{}.entry.{}.key", #k, i + 1);
                    let vk = format!("{}.entry.{}.value", #k, i + 1);
                    #kw #vw
                }
            }
        }
    }
}

/// An expression of type `Option<T>` reading the value under key expression `k`.
fn value_read(ctx: &Ctx<'_>, m: &Member, target: &str, k: &TokenStream) -> TokenStream {
    let ty = ctx.rust_type(target);
    match &ctx.shape(target).kind {
        ShapeKind::Simple(Simple::Timestamp) => {
            let fmt = format_tokens(ctx.timestamp_format(m, Location::Query));
            quote!(crate::codec::query_value::timestamp(params, &#k, #fmt)?)
        }
        ShapeKind::Simple(_) | ShapeKind::Enum { .. } | ShapeKind::IntEnum { .. } => {
            quote!(crate::codec::query_value::scalar::<#ty>(params, &#k)?)
        }
        ShapeKind::Structure { .. } | ShapeKind::Union { .. } => quote! {
            if params.has_prefix(&format!("{}.", #k)) { Some(<#ty as QueryRead>::read_query(params, &format!("{}.", #k))?) } else { None }
        },
        ShapeKind::List { member } => {
            let item = value_read(ctx, member, &member.target, &quote!(ik));
            let infix = if m.xml_flattened { "" } else { ".member" };
            quote! {
                {
                    let mut items = ::std::vec::Vec::new();
                    for i in 1..=crate::codec::query_value::MAX_LIST_ITEMS {
                        let ik = format!("{}{}.{}", #k, #infix, i);
                        match #item { Some(item) => items.push(item), None => break }
                    }
                    if items.is_empty() && params.get(&#k).is_none() { None } else { Some(items) }
                }
            }
        }
        ShapeKind::Map { key, value } => {
            let kr = value_read(ctx, m, key, &quote!(kk));
            let vr = value_read(ctx, m, value, &quote!(vk));
            quote! {
                {
                    let mut map = ::std::collections::BTreeMap::new();
                    for i in 1..=crate::codec::query_value::MAX_LIST_ITEMS {
                        let kk = format!("{}.entry.{}.key", #k, i);
                        let vk = format!("{}.entry.{}.value", #k, i);
                        match (#kr, #vr) { (Some(a), Some(b)) => { map.insert(a, b); } _ => break }
                    }
                    if map.is_empty() { None } else { Some(map) }
                }
            }
        }
    }
}
