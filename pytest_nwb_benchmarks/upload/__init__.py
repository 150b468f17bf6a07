"""upload"""
