# embed.cmake — turns a text file into a C source defining
#   const char <SYMBOL>[] = { ...bytes..., 0 };
# Usage: cmake -DIN=<file> -DOUT=<file.c> -DSYMBOL=<name> -P embed.cmake
# Pure CMake (no xxd): bytes are written as hex literals, so any character in
# the input is safe.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n  " body "${body}")
file(WRITE "${OUT}.tmp"
  "/* Generated from ${IN} by dialect/embed.cmake. Do not edit. */\n"
  "const char ${SYMBOL}[] = {\n  ${body}0x00};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
