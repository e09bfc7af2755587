# The two commands of README.md.  Odoo 19.0 comes from ODOO_PATH (default /opt/odoo-19.0).
.PHONY: demo test

demo:
	@bash setup/demo.sh

test:
	@bash setup/test.sh
