//! The Visma.net ERP edge: request bodies ([`dto`]), and the client that sends them.

pub mod dto;
