//! End-to-end tests of the `csgen` binary: real processes, real sockets on 127.0.0.1.

mod analytics;
mod catalog;
mod control;
mod dashboard;
mod demo;
mod deploy;
mod endpoints;
mod generate;
mod http;
mod indexed_job;
mod kafka_source;
mod openapi;
mod pipeline;
mod serve;
mod support;
mod truth_s3;
mod verify;
