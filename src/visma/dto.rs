//! Placeholder: Visma.net write bodies (value-wrapped DTOs), filled in by the mapping issue.
