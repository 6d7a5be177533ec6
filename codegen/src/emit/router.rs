//! Emits the S3 route table: one row per operation of the *whole* model (served or not),
//! most specific first within each (method, path shape) group, and the set of query keys the
//! model knows. The matching engine is hand-written in `core::codec::route`.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Ctx;
use crate::ir::PathShape;

pub fn emit(ctx: &Ctx<'_>) -> TokenStream {
    let rows = ctx.ir.routes.iter().map(|r| {
        let method = &r.method;
        let shape = match r.shape {
            PathShape::Root => quote!(PathShape::Root),
            PathShape::Bucket => quote!(PathShape::Bucket),
            PathShape::Object => quote!(PathShape::Object),
        };
        let literals = r.literals.iter().map(|(k, v)| match v {
            Some(v) => quote!((#k, Some(#v))),
            None => quote!((#k, None)),
        });
        let x_id = match &r.x_id {
            Some(x) => quote!(Some(#x)),
            None => quote!(None),
        };
        let rq = &r.required_query;
        let rh = &r.required_headers;
        let qp = &r.query_params;
        let name = &r.operation;
        let target = if r.served {
            let v = format_ident!("{}", r.operation);
            quote!(Some(S3Operation::#v))
        } else {
            quote!(None)
        };
        quote! {
            Route {
                operation: #name, target: #target, method: #method, shape: #shape,
                literals: &[#(#literals),*], x_id: #x_id,
                required_query: &[#(#rq),*], required_headers: &[#(#rh),*], query_params: &[#(#qp),*],
            }
        }
    });
    let mut known = BTreeSet::new();
    for r in &ctx.ir.routes {
        known.extend(r.literals.iter().map(|(k, _)| k.clone()));
        known.extend(r.query_params.iter().cloned());
    }
    let known = known.into_iter();
    quote! {
        use crate::codec::route::{PathShape, Route, RouteError, RouteRequest};
        use super::ops::S3Operation;

        /// Every operation of the S3 model, most specific first within each (method, shape) group.
        pub static ROUTES: &[Route<S3Operation>] = &[#(#rows),*];

        /// Every query key that is a literal or a query member of some S3 operation, sorted.
        pub static KNOWN_QUERY_KEYS: &[&str] = &[#(#known),*];

        /// Maps a request to the served operation it is, or says why it is refused.
        pub fn route(request: &RouteRequest<'_>) -> ::std::result::Result<S3Operation, RouteError> {
            crate::codec::route::route(ROUTES, KNOWN_QUERY_KEYS, request)
        }
    }
}
