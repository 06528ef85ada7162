#include <stdio.h>

int main(void)
{
	fputs("six-unpack: not built yet\n", stderr);
	return 70;
}
