//! Text to syntax tree: the logos token stream (formatter, highlighting,
//! limits), the input limits, and the pest parser.

pub mod ast;
pub mod lexer;
pub mod limits;
pub mod parser;
