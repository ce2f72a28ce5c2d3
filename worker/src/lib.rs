//! The edgeflags Worker (filled in by the Worker issue).
