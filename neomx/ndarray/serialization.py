"""Placeholder: replaced by the serialization work (FORMATS.md section 1)."""


def save(fname, data):
    raise NotImplementedError


def load(fname):
    raise NotImplementedError


def load_frombuffer(buf):
    raise NotImplementedError


def array_to_record(array):
    raise NotImplementedError


def array_from_record(record):
    raise NotImplementedError
