//! Emits one `HeaderName` constant per header that a generated binding reads or writes.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;

use super::Ctx;
use crate::ir::Binding;
use crate::names;

pub fn emit(ctx: &Ctx<'_>) -> TokenStream {
    let mut headers = BTreeSet::new();
    for shape in ctx.ir.shapes.values() {
        for m in shape.members() {
            if let Binding::Header(h) = &m.binding {
                headers.insert(h.clone());
            }
        }
    }
    for r in &ctx.ir.routes {
        headers.extend(r.required_headers.iter().cloned());
    }
    let consts = headers.iter().map(|h| {
        let c = names::header_const(h);
        let doc = format!("`{h}`");
        quote!(#[doc = #doc] pub const #c: ::http::HeaderName = ::http::HeaderName::from_static(#h);)
    });
    quote!(#(#consts)*)
}
