//! Emits the operation enum with its static metadata table, and the request and response
//! enums that dispatch to each operation's HTTP bindings.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Ctx;
use crate::ir::{Binding, Operation, ShapeKind, Simple};
use crate::names;

pub fn emit(ctx: &Ctx<'_>) -> TokenStream {
    let ops: Vec<&Operation> = ctx
        .ir
        .s3
        .operations
        .iter()
        .filter(|op| !ctx.ir.unroutable.contains(&op.name))
        .collect();
    let variants: Vec<_> = ops.iter().map(|op| format_ident!("{}", op.name)).collect();
    let names_: Vec<&str> = ops.iter().map(|op| op.name.as_str()).collect();
    let infos = ops.iter().map(|op| {
        let name = &op.name;
        let method = &op.method;
        let uri = &op.uri;
        let status = op.code;
        let checksum = op.checksum_required;
        let input_body = body_kind(ctx, op.input.as_deref());
        let output_body = body_kind(ctx, op.output.as_deref());
        let (input_headers, input_prefixes) = bound_headers(ctx, op.input.as_deref());
        let (output_headers, output_prefixes) = bound_headers(ctx, op.output.as_deref());
        quote! {
            OperationInfo {
                name: #name, method: #method, uri: #uri, success_status: #status,
                input_body: #input_body, output_body: #output_body, checksum_required: #checksum,
                input_headers: &[#(#input_headers),*], input_header_prefixes: &[#(#input_prefixes),*],
                output_headers: &[#(#output_headers),*], output_header_prefixes: &[#(#output_prefixes),*],
            }
        }
    });
    let request_variants = ops.iter().map(|op| {
        let v = format_ident!("{}", op.name);
        match &op.input {
            Some(id) => {
                let ty = names::type_path(id);
                quote!(#v(#ty),)
            }
            None => quote!(#v,),
        }
    });
    let response_variants = ops.iter().map(|op| {
        let v = format_ident!("{}", op.name);
        match &op.output {
            Some(id) => {
                let ty = names::type_path(id);
                quote!(#v(#ty),)
            }
            None => quote!(#v,),
        }
    });
    let req_op_arms = ops.iter().map(|op| {
        let v = format_ident!("{}", op.name);
        if op.input.is_some() {
            quote!(Self::#v(_) => S3Operation::#v,)
        } else {
            quote!(Self::#v => S3Operation::#v,)
        }
    });
    let resp_op_arms = ops.iter().map(|op| {
        let v = format_ident!("{}", op.name);
        if op.output.is_some() {
            quote!(Self::#v(_) => S3Operation::#v,)
        } else {
            quote!(Self::#v => S3Operation::#v,)
        }
    });
    let parse_req_arms = ops.iter().map(|op| {
        let v = format_ident!("{}", op.name);
        match &op.input {
            Some(id) => {
                let ty = names::type_path(id);
                quote!(S3Operation::#v => Self::#v(#ty::from_http(req, body)?),)
            }
            None => quote!(S3Operation::#v => Self::#v,),
        }
    });
    let req_to_http_arms = ops.iter().map(|op| {
        let v = format_ident!("{}", op.name);
        let method = syn::Ident::new(&op.method, proc_macro2::Span::call_site());
        if op.input.is_some() {
            quote!(Self::#v(input) => input.to_http(),)
        } else {
            quote!(Self::#v => Ok(OutboundRequest::new(::http::Method::#method)),)
        }
    });
    let parse_resp_arms = ops.iter().map(|op| {
        let v = format_ident!("{}", op.name);
        match &op.output {
            Some(id) => {
                let ty = names::type_path(id);
                quote!(S3Operation::#v => Self::#v(#ty::from_http(headers, body)?),)
            }
            None => quote!(S3Operation::#v => Self::#v,),
        }
    });
    let resp_to_http_arms = ops.iter().map(|op| {
        let v = format_ident!("{}", op.name);
        let code = op.code;
        if op.output.is_some() {
            quote!(Self::#v(output) => output.to_http(),)
        } else {
            quote!(Self::#v => Ok(ResponseParts::new(#code)),)
        }
    });
    quote! {
        use crate::codec::http::{BindingError, BodyKind, HttpRequest, OperationInfo, OutboundRequest, ResponseParts};

        /// Every S3 operation multistore serves (the allowlist in `model/allowlist.toml`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum S3Operation { #(#variants,)* }

        static INFO: &[OperationInfo] = &[#(#infos),*];

        impl S3Operation {
            /// All served operations, in allowlist order.
            pub const ALL: &'static [S3Operation] = &[#(S3Operation::#variants),*];
            /// The operation's name in the model (`GetObject`).
            pub fn name(self) -> &'static str { self.info().name }
            /// Static metadata from the model.
            pub fn info(self) -> &'static OperationInfo { &INFO[self as usize] }
            /// The operation with this model name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { #(#names_ => Some(Self::#variants),)* _ => None }
            }
        }

        impl ::std::fmt::Display for S3Operation {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { f.write_str(self.name()) }
        }

        /// A parsed request of any served operation.
        #[derive(Clone, Debug, PartialEq)]
        pub enum S3Request { #(#request_variants)* }

        impl S3Request {
            /// The operation of this request.
            pub fn operation(&self) -> S3Operation { match self { #(#req_op_arms)* } }
            /// Reads the input of `operation` from a client request.
            pub fn from_http(operation: S3Operation, req: &HttpRequest<'_>, body: Option<&[u8]>) -> ::std::result::Result<Self, BindingError> {
                Ok(match operation { #(#parse_req_arms)* })
            }
            /// Writes this request for a backend.
            pub fn to_http(&self) -> ::std::result::Result<OutboundRequest, BindingError> {
                match self { #(#req_to_http_arms)* }
            }
        }

        /// A response of any served operation.
        #[derive(Clone, Debug, PartialEq)]
        pub enum S3Response { #(#response_variants)* }

        impl S3Response {
            /// The operation of this response.
            pub fn operation(&self) -> S3Operation { match self { #(#resp_op_arms)* } }
            /// Reads the output of `operation` from a backend response.
            pub fn from_http(operation: S3Operation, headers: &::http::HeaderMap, body: Option<&[u8]>) -> ::std::result::Result<Self, BindingError> {
                Ok(match operation { #(#parse_resp_arms)* })
            }
            /// Writes this response for a client.
            pub fn to_http(&self) -> ::std::result::Result<ResponseParts, BindingError> {
                match self { #(#resp_to_http_arms)* }
            }
        }
    }
}

/// The header names (lowercase, sorted) and header prefixes bound by a structure's members.
fn bound_headers(ctx: &Ctx<'_>, id: Option<&str>) -> (Vec<String>, Vec<String>) {
    let Some(id) = id else {
        return (Vec::new(), Vec::new());
    };
    let mut headers = Vec::new();
    let mut prefixes = Vec::new();
    for m in ctx.shape(id).members() {
        match &m.binding {
            Binding::Header(h) => headers.push(h.clone()),
            Binding::PrefixHeaders(p) => prefixes.push(p.clone()),
            _ => {}
        }
    }
    headers.sort();
    headers.dedup();
    (headers, prefixes)
}

/// What a body of this input or output structure is.
fn body_kind(ctx: &Ctx<'_>, id: Option<&str>) -> TokenStream {
    let Some(id) = id else {
        return quote!(BodyKind::None);
    };
    let s = ctx.shape(id);
    if let Some(m) = s.members().iter().find(|m| m.binding == Binding::Payload) {
        return match ctx.shape(&m.target).kind {
            _ if ctx.is_streaming(&m.target) => quote!(BodyKind::Streaming),
            ShapeKind::Simple(Simple::String | Simple::Blob) => quote!(BodyKind::Raw),
            _ => quote!(BodyKind::Xml),
        };
    }
    if s.members().iter().any(|m| m.binding == Binding::Body) {
        quote!(BodyKind::Xml)
    } else {
        quote!(BodyKind::None)
    }
}
