/* The module tls_dlopen loads after its threads exist: TLS of its own
 * (general dynamic, through the DTV), with an initial value. */
__thread int mod_value = 5;
__thread char mod_buf[256];

int mod_get(void) { return mod_value + mod_buf[255]; }
void mod_set(int v) { mod_value = v; mod_buf[255] = 0; }
