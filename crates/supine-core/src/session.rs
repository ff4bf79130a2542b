//! placeholder
#![allow(missing_docs)]
pub struct Session; pub enum Event {} pub enum Effect {}
