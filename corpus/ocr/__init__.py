"""OCR of scanned pages (issue 31): what the PDF reader (pages without a usable text layer) and the image
reader (PNG, JPEG, TIFF) use to turn a page image into lines of text.

==========  =================================================================================
engine      PP-OCRv4 detection, direction and recognition (rapidocr-onnxruntime, ONNX Runtime)
seals       a red round seal taken off before recognition
cache       recognised pages in SQLite, by page-image hash
order       boxes → lines in reading order (skew, rows, columns, font size from pitch)
fields      文号 and date lines normalised where OCR confuses them
pages       the above for one page at a time, with progress, confidence and warnings
options     how OCR runs (from the settings), carried to the reader worker
==========  =================================================================================
"""
