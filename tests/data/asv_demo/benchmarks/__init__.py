"""A small asv suite that makes asv write every kind of row its results files can hold."""
