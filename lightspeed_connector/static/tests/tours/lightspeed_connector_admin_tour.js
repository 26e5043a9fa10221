/** @odoo-module */
/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */
/**
 * A new administrator's path through the connector, run by tests/test_tour.py (TestAdminTour)
 * against the Lightspeed simulator: Settings show the OAuth redirect URI, a backend is created
 * and connected (the browser goes to the simulator's authorize page and comes back through
 * Odoo's callback), a shop is mapped to a warehouse, a payment type to a payment method, the
 * import runs, a sync record shows its payload, Sales Analysis opens by business day.
 *
 * Every step waits for one specific element or text. Parameters (the exact redirect URI, the
 * client credentials, names, the expected order count) come from the Python test through
 * localStorage, which survives the page loads of the OAuth round trip.
 */
import { registry } from "@web/core/registry";

const PARAMS_KEY = "lightspeed_connector_tour";
const BACKEND_NAME = "Hudson Street account";

function tourParams() {
    return JSON.parse(window.localStorage.getItem(PARAMS_KEY) || "{}");
}

function menu(xmlid) {
    return `[data-menu-xmlid="lightspeed_connector.${xmlid}"]`;
}

/** Steps that open a menu item under one of the Lightspeed app's top menus. */
function openMenu(section, item, content) {
    return [
        {
            content: `Open the ${section} menu`,
            trigger: `.o_menu_sections button${menu(section)}`,
            run: "click",
        },
        {
            content,
            trigger: `.dropdown-item${menu(item)}`,
            run: "click",
        },
    ];
}

/**
 * Steps that click the backend form's smart button ``name``, opening the button box's "More"
 * dropdown first when the button is folded in it (how many show depends on the screen).
 */
function openSmartButton(name, content) {
    const button = `button[name=${name}]`;
    return [
        {
            content: `Find the ${name} smart button (under "More" if folded)`,
            trigger: ".o_form_view .o-form-buttonbox",
            run() {
                const shown = this.anchor.querySelector(`${button}`);
                const more = this.anchor.querySelector(".o_button_more");
                if (!shown && more) {
                    more.click();
                }
            },
        },
        {
            content,
            trigger: `.o-form-buttonbox ${button}, .o-dropdown--menu ${button}`,
            run: "click",
        },
    ];
}

/** The row of a list whose ``name`` column shows ``name`` (not being edited: an edited row
 * shows inputs, use ``.o_selected_row`` then). */
function row(name) {
    return `.o_data_row:has(.o_data_cell[name=name]:contains("${name}"))`;
}

function backToBackend() {
    return [
        {
            content: "Back to the backend",
            trigger: `.o_breadcrumb .breadcrumb-item a:contains("${BACKEND_NAME}")`,
            run: "click",
        },
        {
            content: "The backend form is back",
            trigger: `.o_form_view .o_field_widget[name=name] input:value("${BACKEND_NAME}")`,
        },
    ];
}

registry.category("web_tour.tours").add("lightspeed_connector_admin_tour", {
    url: "/odoo",
    steps: () => {
        const p = tourParams();
        return [
            // --- Settings: the redirect URI to register with the Lightspeed API client ---
            {
                content: "Open the apps menu",
                trigger: ".o_navbar_apps_menu button",
                run: "click",
            },
            {
                content: "Open the Lightspeed app",
                trigger: `.o-dropdown--menu .dropdown-item${menu("lightspeed_root_menu")}`,
                run: "click",
            },
            ...openMenu("lightspeed_config_menu", "lightspeed_settings_menu", "Open Settings"),
            {
                content: "Settings show the exact OAuth redirect URI",
                trigger: `.o_field_widget[name=lightspeed_callback_url]:contains("${p.redirectUri}")`,
                run() {
                    const shown = this.anchor.textContent.trim();
                    if (shown !== p.redirectUri) {
                        throw new Error(
                            `Settings show the redirect URI "${shown}", expected "${p.redirectUri}"`
                        );
                    }
                },
            },
            // --- a new backend ---
            ...openMenu("lightspeed_config_menu", "lightspeed_backend_menu", "Open Backends"),
            {
                content: "Create a backend",
                trigger: ".o_control_panel_main_buttons .o_list_button_add",
                run: "click",
            },
            {
                content: "A new backend shows the redirect URI too",
                trigger: `.o_form_view .o_field_widget[name=redirect_uri]:contains("${p.redirectUri}")`,
            },
            {
                content: "Name the backend",
                trigger: ".o_form_view .o_field_widget[name=name] input",
                run: `edit ${BACKEND_NAME}`,
            },
            {
                content: "Enter the API client's ID",
                trigger: ".o_form_view .o_field_widget[name=client_id] input",
                run: `edit ${p.clientId}`,
            },
            {
                content: "Enter the API client's secret",
                trigger: ".o_form_view .o_field_widget[name=new_client_secret] input",
                run: `edit ${p.clientSecret}`,
            },
            {
                content: "Create the shop's staff as employees (clock-ins need them)",
                trigger: ".o_form_view .o_field_widget[name=create_missing_employees] input",
                run: "click",
            },
            {
                content: "Connect: saves the backend and goes to Lightspeed's authorize page",
                trigger: ".o_form_view button[name=action_connect]",
                run: "click",
                expectUnloadPage: true,
            },
            {
                content: "Back from Lightspeed: the backend is connected",
                trigger: `.o_form_view .o_statusbar_status button.o_arrow_button_current[data-value=connected]`,
                timeout: 30000,
            },
            {
                content: "The form says what to do before importing: map the shop",
                trigger: `.o_form_view .alert-warning:contains("${p.shopName}")`,
            },
            // --- map the shop to a warehouse (its point of sale is created with it) ---
            ...openSmartButton("action_open_shops", "Open the shops"),
            {
                content: "Edit the shop's warehouse",
                trigger: `${row(p.shopName)} .o_data_cell[name=warehouse_id]`,
                run: "click",
            },
            {
                content: "Type the warehouse",
                trigger: ".o_selected_row .o_field_widget[name=warehouse_id] input",
                run: `edit ${p.warehouseName}`,
            },
            {
                content: "Pick the warehouse",
                trigger: `.o-autocomplete--dropdown-item a:contains("${p.warehouseName}"):not(:contains("Create"))`,
                run: "click",
            },
            {
                content: "Edit the shop's department",
                trigger: ".o_selected_row .o_data_cell[name=department_id]",
                run: "click",
            },
            {
                content: "Type the department",
                trigger: ".o_selected_row .o_field_widget[name=department_id] input",
                run: `edit ${p.departmentName}`,
            },
            {
                content: "Pick the department",
                trigger: `.o-autocomplete--dropdown-item a:contains("${p.departmentName}"):not(:contains("Create"))`,
                run: "click",
            },
            {
                content: "Turn the import on",
                trigger: ".o_selected_row .o_field_widget[name=import_enabled] input",
                run: "click",
            },
            {
                content: "Save the shop",
                trigger: ".o_list_button_save",
                run: "click",
            },
            {
                content: "The shop has its point of sale",
                trigger: `${row(p.shopName)} .o_data_cell[name=pos_config_id]:contains("Lightspeed ${p.shopName}")`,
            },
            ...backToBackend(),
            // --- map a payment type by hand, create the others ---
            ...openSmartButton("action_open_payment_types", "Open the payment types"),
            {
                content: "Edit Visa's payment method",
                trigger: `${row("Visa")} .o_data_cell[name=payment_method_id]`,
                run: "click",
            },
            {
                content: "Type the card terminal",
                trigger: ".o_selected_row .o_field_widget[name=payment_method_id] input",
                run: `edit ${p.cardMethodName}`,
            },
            {
                content: "Pick the card terminal",
                trigger: `.o-autocomplete--dropdown-item a:contains("${p.cardMethodName}"):not(:contains("Create"))`,
                run: "click",
            },
            {
                content: "Save the mapping",
                trigger: ".o_list_button_save",
                run: "click",
            },
            {
                content: "Visa is paid into the card terminal",
                trigger: `${row("Visa")} .o_data_cell[name=payment_method_id]:contains("${p.cardMethodName}")`,
            },
            {
                content: "Select every payment type",
                trigger: "thead .o_list_record_selector input",
                run: "click",
            },
            {
                content: "Create the missing payment methods",
                trigger: "button[name=action_create_payment_methods]",
                run: "click",
            },
            {
                content: "Mastercard got its own payment method",
                trigger: `${row("Mastercard")} .o_data_cell[name=payment_method_id]:contains("Mastercard")`,
            },
            {
                content: "Visa kept the card terminal",
                trigger: `${row("Visa")} .o_data_cell[name=payment_method_id]:contains("${p.cardMethodName}")`,
            },
            ...backToBackend(),
            // --- import ---
            {
                content: "Import all",
                trigger: ".o_form_view button[name=action_import_all]",
                run: "click",
            },
            {
                content: "Every sale of the account is an order",
                trigger: `.o_form_view button[name=action_open_orders] .o_stat_value:contains("${p.expectedOrders}")`,
                timeout: 60000,
            },
            // --- a sync record and its payload ---
            ...openSmartButton("action_open_sync_records", "Open the sync records"),
            {
                content: "Open the sync record of an imported sale",
                trigger: '.o_list_view .o_data_row:has(.o_data_cell[name=state]:contains("Done")) .o_data_cell[name=record_type]:contains("Sale")',
                run: "click",
            },
            {
                content: "The sync record is the sale's, imported",
                trigger: '.o_form_view .o_statusbar_status button.o_arrow_button_current[data-value=done]',
            },
            {
                content: "The payload is pretty-printed JSON in a read-only code editor",
                trigger: ".o_form_view .o_field_widget[name=payload_text] .ace_editor .ace_line:nth-child(2)",
                run() {
                    const editor = this.anchor.closest(".ace_editor");
                    const lines = [...editor.querySelectorAll(".ace_line")].map((l) =>
                        l.textContent.replace(/\u00a0/g, " ")
                    );
                    // One key per line, indented by two spaces: `{`, then `  "Key": ...`.
                    if (lines[0].trim() !== "{" || !/^ {2}"[A-Za-z]+": /.test(lines[1])) {
                        throw new Error(`payload not pretty-printed: ${lines.slice(0, 3).join(" | ")}`);
                    }
                    const input = editor.querySelector(".ace_text-input");
                    if (!input || !input.readOnly) {
                        throw new Error("the payload editor is not read-only");
                    }
                },
            },
            // --- Sales Analysis by business day ---
            ...openMenu(
                "lightspeed_reporting_menu",
                "lightspeed_report_pos_order_menu",
                "Open Sales Analysis"
            ),
            {
                content: "Sales Analysis is grouped by Lightspeed shop",
                trigger: `.o_pivot th:contains("${p.shopName}")`,
            },
            {
                content: "and a row per business day",
                trigger: ".o_pivot tbody tr:nth-child(2) th",
                run() {
                    const label = this.anchor.textContent.trim();
                    // A day: "30 Nov 2026" (English, the test's language).
                    if (!/^\d{2} [A-Z][a-z]{2} \d{4}$/.test(label)) {
                        throw new Error(`Sales Analysis rows are not business days: "${label}"`);
                    }
                },
            },
        ];
    },
});
