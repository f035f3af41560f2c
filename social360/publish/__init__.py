"""The publish stage: swapping validated candidates into the marts BI tools read."""
