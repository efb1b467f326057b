//! End-to-end tests of the `csgen` binary: real processes, real sockets on 127.0.0.1.

mod analytics;
mod dashboard;
mod demo;
mod endpoints;
mod generate;
mod http;
mod pipeline;
mod serve;
mod support;
mod verify;
