/* pass_options_test.c — unit tests of passes/options.c (typed ajpq pass
 * options) below the driver: typed getters, kind mismatches, defaults,
 * limits and error-buffer handling. Run by pass-options-unit.test; each
 * test prints `TEST: name` and the values it read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajpq_passes.h"

static const ajpq_pass_option_t k_opts[] = {
    {.name = "n", .kind = AJPQ_OPT_INT, .default_value = "-7", .help = "", .min = -10, .max = 10},
    {.name = "x", .kind = AJPQ_OPT_FLOAT, .default_value = "0.125", .help = ""},
    {.name = "b", .kind = AJPQ_OPT_BOOL, .default_value = "true", .help = ""},
    {.name = "s", .kind = AJPQ_OPT_STRING, .default_value = NULL, .help = ""},
    {.name = "e",
     .kind = AJPQ_OPT_ENUM,
     .default_value = "two",
     .help = "",
     .enum_values = "one|two|three"},
    {.name = "li",
     .kind = AJPQ_OPT_LIST,
     .default_value = "{3, 1, 2}",
     .help = "",
     .list_elem = AJPQ_OPT_INT},
    {.name = "lf",
     .kind = AJPQ_OPT_LIST,
     .default_value = NULL,
     .help = "",
     .list_elem = AJPQ_OPT_FLOAT},
    {.name = "ls",
     .kind = AJPQ_OPT_LIST,
     .default_value = "'p q',r",
     .help = "",
     .list_elem = AJPQ_OPT_STRING},
};
static const ajpq_pass_info_t k_pass = {.name = "unit-pass",
                                        .summary = "",
                                        .anchor = "builtin.module",
                                        .options = k_opts,
                                        .num_options = sizeof(k_opts) / sizeof(k_opts[0]),
                                        .run = NULL};

static const ajpq_pass_option_t k_bad_default[] = {
    {.name = "k", .kind = AJPQ_OPT_INT, .default_value = "12", .help = "", .min = 0, .max = 8},
};
static const ajpq_pass_info_t k_bad_pass = {.name = "bad-default-pass",
                                            .anchor = "builtin.module",
                                            .options = k_bad_default,
                                            .num_options = 1};

static void test_defaults(void) {
  printf("TEST: defaults\n");
  char err[256];
  ajpq_pass_options_t *o = ajpq_pass_options_parse(&k_pass, NULL, err, sizeof err);
  if (!o) {
    printf("unexpected error: %s\n", err);
    return;
  }
  printf("n=%lld x=%g b=%d e=%s has_s=%d s='%s' has_lf=%d\n", (long long)ajpq_opt_int(o, "n"),
         ajpq_opt_float(o, "x"), ajpq_opt_bool(o, "b"), ajpq_opt_string(o, "e"),
         ajpq_opt_has(o, "s"), ajpq_opt_string(o, "s"), ajpq_opt_has(o, "lf"));
  printf("li=%zu:%lld,%lld,%lld ls=%zu:'%s','%s'\n", ajpq_opt_list_size(o, "li"),
         (long long)ajpq_opt_list_int(o, "li", 0), (long long)ajpq_opt_list_int(o, "li", 1),
         (long long)ajpq_opt_list_int(o, "li", 2), ajpq_opt_list_size(o, "ls"),
         ajpq_opt_list_string(o, "ls", 0), ajpq_opt_list_string(o, "ls", 1));
  ajpq_pass_options_destroy(o);
  // CHECK-LABEL: TEST: defaults
  // CHECK-NEXT: n=-7 x=0.125 b=1 e=two has_s=0 s='' has_lf=0
  // CHECK-NEXT: li=3:3,1,2 ls=2:'p q','r'
}

static void test_values(void) {
  printf("TEST: values\n");
  char err[256];
  char text[] = "n=10 x=-2.5e-3 b=false s=\"a b\" e=three li={-1,0} lf=1.5,-0.25 ls=";
  ajpq_pass_options_t *o = ajpq_pass_options_parse(&k_pass, text, err, sizeof err);
  if (!o) {
    printf("unexpected error: %s\n", err);
    return;
  }
  memset(text, 'Z', sizeof text - 1); /* the result must not borrow the text */
  printf("n=%lld x=%g b=%d s='%s' e=%s li=%lld,%lld lf=%g,%g ls=%zu\n",
         (long long)ajpq_opt_int(o, "n"), ajpq_opt_float(o, "x"), ajpq_opt_bool(o, "b"),
         ajpq_opt_string(o, "s"), ajpq_opt_string(o, "e"), (long long)ajpq_opt_list_int(o, "li", 0),
         (long long)ajpq_opt_list_int(o, "li", 1), ajpq_opt_list_float(o, "lf", 0),
         ajpq_opt_list_float(o, "lf", 1), ajpq_opt_list_size(o, "ls"));
  ajpq_pass_options_destroy(o);
  // CHECK-LABEL: TEST: values
  // CHECK-NEXT: n=10 x=-0.0025 b=0 s='a b' e=three li=-1,0 lf=1.5,-0.25 ls=0
}

/* Asking for an undeclared name, the wrong kind or an index past the end
 * returns the zero value (documented in ajpq_passes.h). */
static void test_kind_mismatch(void) {
  printf("TEST: kind_mismatch\n");
  char err[256];
  ajpq_pass_options_t *o = ajpq_pass_options_parse(&k_pass, "s=hello", err, sizeof err);
  if (!o) {
    printf("unexpected error: %s\n", err);
    return;
  }
  printf("int(x)=%lld float(n)=%g bool(s)=%d string(n)='%s' undeclared=%lld has(undeclared)=%d\n",
         (long long)ajpq_opt_int(o, "x"), ajpq_opt_float(o, "n"), ajpq_opt_bool(o, "s"),
         ajpq_opt_string(o, "n"), (long long)ajpq_opt_int(o, "zzz"), ajpq_opt_has(o, "zzz"));
  printf("list_int(lf)=%lld list_float(li)=%g list_string(li)='%s' li[3]=%lld size(n)=%zu\n",
         (long long)ajpq_opt_list_int(o, "lf", 0), ajpq_opt_list_float(o, "li", 0),
         ajpq_opt_list_string(o, "li", 0), (long long)ajpq_opt_list_int(o, "li", 3),
         ajpq_opt_list_size(o, "n"));
  printf("null: int=%lld has=%d string='%s'\n", (long long)ajpq_opt_int(NULL, "n"),
         ajpq_opt_has(NULL, "n"), ajpq_opt_string(NULL, "s"));
  ajpq_pass_options_destroy(o);
  ajpq_pass_options_destroy(NULL);
  // CHECK-LABEL: TEST: kind_mismatch
  // CHECK-NEXT: int(x)=0 float(n)=0 bool(s)=0 string(n)='' undeclared=0 has(undeclared)=0
  // CHECK-NEXT: list_int(lf)=0 list_float(li)=0 list_string(li)='' li[3]=0 size(n)=0
  // CHECK-NEXT: null: int=0 has=0 string=''
}

static void expect_error(const ajpq_pass_info_t *p, const char *text) {
  char err[256];
  ajpq_pass_options_t *o = ajpq_pass_options_parse(p, text, err, sizeof err);
  if (o) {
    printf("unexpectedly parsed: %s\n", text);
    ajpq_pass_options_destroy(o);
    return;
  }
  printf("%s\n", err);
}

static void test_errors(void) {
  printf("TEST: errors\n");
  expect_error(&k_pass, "n=11");
  expect_error(&k_pass, "n=-11");
  expect_error(&k_pass, "n=0x10");
  expect_error(&k_pass, "x=1e999");
  expect_error(&k_pass, "e=One");
  expect_error(&k_pass, "=3");
  expect_error(&k_pass, "li=1,2,three");
  expect_error(&k_bad_pass, "");
  // CHECK-LABEL: TEST: errors
  // CHECK-NEXT: pass 'unit-pass': option 'n': 11 is out of range [-10, 10]
  // CHECK-NEXT: pass 'unit-pass': option 'n': -11 is out of range [-10, 10]
  // CHECK-NEXT: pass 'unit-pass': option 'n': '0x10' is not an integer
  // CHECK-NEXT: pass 'unit-pass': option 'x': '1e999' is not a finite number
  // CHECK-NEXT: pass 'unit-pass': option 'e': 'One' is not one of one|two|three
  // CHECK-NEXT: pass 'unit-pass': expected 'key=value', got '=3'
  // CHECK-NEXT: pass 'unit-pass': option 'li': list element 'three' is not an integer
  // CHECK-NEXT: pass 'bad-default-pass': option 'k': 12 is out of range [0, 8] (in the declared
  // default)
}

/* A tiny error buffer is truncated, never overrun; a NULL buffer is fine. */
static void test_small_error_buffer(void) {
  printf("TEST: small_error_buffer\n");
  char err[8 + 1];
  err[8] = '#';
  ajpq_pass_options_t *o = ajpq_pass_options_parse(&k_pass, "n=99", err, 8);
  printf("null=%d len=%zu guard=%c\n", o == NULL, strlen(err), err[8]);
  o = ajpq_pass_options_parse(&k_pass, "n=99", NULL, 0);
  printf("null=%d\n", o == NULL);
  // CHECK-LABEL: TEST: small_error_buffer
  // CHECK-NEXT: null=1 len=7 guard=#
  // CHECK-NEXT: null=1
}

/* Hostile sizes: a list longer than the limit and option text over 1 MiB
 * are rejected with a message, not allocated. */
static void test_limits(void) {
  printf("TEST: limits\n");
  size_t n = 70000;
  char *text = malloc(4 + 2 * n + 1);
  if (!text)
    return;
  strcpy(text, "li=");
  char *p = text + 3;
  for (size_t i = 0; i < n; ++i) {
    *p++ = '1';
    *p++ = ',';
  }
  p[-1] = '\0';
  expect_error(&k_pass, text);
  free(text);
  size_t big = (1u << 20) + 10;
  text = malloc(big + 1);
  if (!text)
    return;
  memset(text, ' ', big);
  memcpy(text, "s=", 2);
  text[big] = '\0';
  expect_error(&k_pass, text);
  free(text);
  // CHECK-LABEL: TEST: limits
  // CHECK-NEXT: pass 'unit-pass': option 'li': list has 70000 elements (limit 65536)
  // CHECK-NEXT: pass 'unit-pass': option text longer than 1048576 bytes
}

int main(void) {
  test_defaults();
  test_values();
  test_kind_mismatch();
  test_errors();
  test_small_error_buffer();
  test_limits();
  return 0;
}
