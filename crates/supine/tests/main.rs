//! End-to-end tests of the `supine` binary: run it as a user would and check what they would see.

mod admin;
mod analyze;
mod cli;
mod doctor;
mod journal;
mod lan;
mod manual;
mod practice;
mod serve;
